# legacy_rprop on Keras 2.3.1 + theano-pymc 1.0.10, Python 3.7, OpenBLAS.
#   docker build -f docker/theano.Dockerfile -t legacy-rprop:theano .
#   docker run --rm legacy-rprop:theano                         # the test suite
#   docker run --rm -v "$PWD/demo-output:/out" legacy-rprop:theano demo
# The pins come from requirements/, as in tox's py37-theano environment.
FROM python:3.7.17-slim-bookworm

# Theano compiles C code: g++, and OpenBLAS for its BLAS calls
RUN apt-get update \
    && apt-get install -y --no-install-recommends g++=4:12.2.0-3 libopenblas-dev=0.3.21+ds-4 \
    && rm -rf /var/lib/apt/lists/*

ENV KERAS_BACKEND=theano \
    LEGACY_RPROP_EXPECT_BACKEND=theano \
    LEGACY_RPROP_EXPECT_STACK="keras==2.3.1 theano-pymc==1.0.10" \
    THEANO_FLAGS=floatX=float32,blas.ldflags=-lopenblas,base_compiledir=/cache/theano \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONHASHSEED=0 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/test.txt -r requirements/theano.txt -r requirements/demo.txt
COPY setup.py README.md LICENSE tox.ini ./
COPY legacy_rprop/ legacy_rprop/
RUN pip install --no-deps .
COPY tests/ tests/
COPY docker/ docker/

WORKDIR /app/tests
ENTRYPOINT ["/app/docker/entrypoint"]
CMD ["pytest", "-m", "not crossbackend and not horovod"]
