import io
import os
import re

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
# every multi-backend Keras 2 the tests run on
KERAS = 'keras>=2.0.8,<2.4'


def version():
    with io.open(os.path.join(HERE, 'legacy_rprop', '__init__.py'), encoding='utf-8') as f:
        return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


def readme():
    with io.open(os.path.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


setup(
    name='legacy_rprop',
    version=version(),
    description='Rprop optimizers for legacy Keras 2 projects (multi-backend Keras 2.0.8 '
                'to 2.3.1 on Theano and TensorFlow; tf.keras of TensorFlow 1.15 and 2.x) '
                'and where they move (Keras 3 on TensorFlow, JAX and PyTorch), and a '
                'Keras 1 optimizer compatibility layer',
    long_description=readme(),
    long_description_content_type='text/markdown',
    license='MIT',
    packages=find_packages(include=['legacy_rprop', 'legacy_rprop.*']),
    py_modules=['legacy_rprop_tfkeras'],  # the tf.keras flavour's old name
    # the Pythons the tox environments test
    python_requires='>=3.6, <3.13',
    # no Keras: the project brings its own (multi-backend Keras, TensorFlow
    # or Keras 3), and installing this package must never change it
    install_requires=['numpy'],
    # the same pins as requirements/*.txt
    extras_require={
        # multi-backend Keras 2, any tested version, alone or with a pinned backend
        'keras': [KERAS],
        'theano': [KERAS, 'theano-pymc==1.0.10', 'h5py==2.10.0'],
        'tensorflow': [KERAS, 'tensorflow==1.15.5', 'protobuf==3.20.3', 'h5py==2.10.0'],
        'demo': ['matplotlib', 'scikit-learn'],
        # Keras 3, any supported version (the backend is the project's)
        'keras3': ['keras>=3.3'],
    },
    entry_points={'console_scripts': ['legacy-rprop = legacy_rprop.__main__:main']},
    classifiers=[
        'License :: OSI Approved :: MIT License',
        'Programming Language :: Python :: 3.6',
        'Programming Language :: Python :: 3.7',
        'Programming Language :: Python :: 3.8',
        'Programming Language :: Python :: 3.9',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
