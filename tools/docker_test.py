"""Build both Docker images from a clean context and use them as their users
do (part of `make test`, so of CI):

    python3 tools/docker_test.py REPORT_DIR

- starts a Docker engine if none runs (Debian's docker.io, installed if
  missing; root, or sudo);
- makes sure the base image is there (tools/docker-base: pulled, or a
  stand-in where no registry can be reached);
- builds docker/<backend>.Dockerfile for both backends from a context of
  the project's files only (those git tracks, and new ones it does not
  ignore), as `legacy-rprop:<backend>`;
- runs each image's test suite, its JUnit report as REPORT_DIR/docker-<backend>.xml
  (tools/check_reports.py counts it like a tox environment's), the demo,
  and a user's script mounted at /work that trains with RProp; the Theano
  image's runs share a volume at /cache/theano, as the README advises its
  users (Theano's compiled C code kept between runs), which must hold the
  code compiled by the runs before the suite;
- checks that the image's ``pip freeze`` has every version requirements/
  pins for it;
- with LEGACY_RPROP_DISCARD_ENVS=1 (CI's `.ci/run`), removes both images
  once their suites have run (tools/discard_env.py).

Exits non-zero, saying why, if anything fails.
"""
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import discard_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = ('tensorflow', 'theano')
# the volume the Theano image's runs share at /cache/theano (its compile dir)
THEANO_CACHE_VOLUME = 'legacy-rprop-theano-cache'
# a user's script, run in the image from the folder mounted at /work
USER_SCRIPT = '''\
import numpy as np
from keras.layers import Dense
from keras.models import Sequential
from legacy_rprop import RProp

x = np.random.RandomState(0).uniform(-1, 1, (64, 2)).astype('float32')
y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype('float32')
model = Sequential([Dense(8, activation='tanh', input_shape=(2,)),
                    Dense(1, activation='sigmoid')])
model.compile(optimizer=RProp(variant='iRprop+', init_alpha=0.01), loss='binary_crossentropy')
losses = model.fit(x, y, batch_size=64, epochs=100, shuffle=False, verbose=0).history['loss']
model.save('model.h5')
print('trained: loss %.4f -> %.4f' % (losses[0], losses[-1]))
'''


def main(report_dir):
    discard_images = discard_env.discarding()
    report_dir = os.path.abspath(report_dir)
    os.makedirs(report_dir, exist_ok=True)
    start_engine()
    run(['tools/docker-base'])
    context = clean_context()
    builds = {backend: subprocess.Popen(
        ['docker', 'build', '-q', '-f', 'docker/%s.Dockerfile' % backend,
         '-t', 'legacy-rprop:%s' % backend, '-'], cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for backend in BACKENDS}
    problems = []
    for backend, build in builds.items():
        output = build.communicate(context)[0].decode('utf-8', 'replace')
        if build.returncode:
            problems.append('building legacy-rprop:%s failed:\n%s' % (backend, output[-3000:]))
    if problems:
        return fail(problems)
    # a new volume: nothing compiled by an earlier image's Theano
    subprocess.call(['docker', 'volume', 'rm', '-f', THEANO_CACHE_VOLUME],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for backend in BACKENDS:
        image = 'legacy-rprop:%s' % backend
        print('docker_test: %s, %s base' % (image, base_kind()), flush=True)
        problems += check_pins(image, backend)
        problems += check_user_script(image, backend)
        problems += check_demo(image, backend)
    problems += check_theano_cache_kept()
    # the test suites, both at once (each runs on one core most of the time)
    suites = {backend: subprocess.Popen(
        ['docker', 'run', '--rm', '-v', '%s:/reports' % report_dir] + cache_mount(backend)
        + ['legacy-rprop:%s' % backend, 'test', '-q', '-p', 'no:cacheprovider',
           '--junitxml=/reports/docker-%s.xml' % backend],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for backend in BACKENDS}
    for backend, suite in suites.items():
        output = suite.communicate()[0].decode('utf-8', 'replace')
        last = output.strip().splitlines()[-1] if output.strip() else ''
        print('docker_test: legacy-rprop:%s test suite: %s' % (backend, last), flush=True)
        if suite.returncode:
            problems.append('the test suite of legacy-rprop:%s failed:\n%s'
                            % (backend, output[-5000:]))
    if discard_images:
        # CI: their disk back for the tox environments still to run
        run(['docker', 'rmi', '-f'] + ['legacy-rprop:%s' % b for b in BACKENDS],
            stdout=subprocess.DEVNULL)
        run(['docker', 'volume', 'rm', '-f', THEANO_CACHE_VOLUME], stdout=subprocess.DEVNULL)
        print('docker_test: removed legacy-rprop:%s (LEGACY_RPROP_DISCARD_ENVS=1)'
              % ', legacy-rprop:'.join(BACKENDS), flush=True)
    return fail(problems) if problems else 0


def start_engine():
    """A running Docker engine: the one there is, or dockerd started now."""
    if subprocess.call(['docker', 'info'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL) == 0:
        return
    sudo = [] if os.geteuid() == 0 else ['sudo']
    if not shutil.which('dockerd'):
        run([os.path.join(ROOT, 'tools', 'apt-install'), 'docker.io'])
    os.makedirs(os.path.join(ROOT, '.cache'), exist_ok=True)
    log = open(os.path.join(ROOT, '.cache', 'dockerd.log'), 'ab')
    subprocess.Popen(sudo + ['dockerd'], stdout=log, stderr=log, start_new_session=True)
    for _ in range(60):
        if subprocess.call(['docker', 'info'], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0:
            return
        time.sleep(1)
    sys.exit('docker_test: dockerd did not start (see .cache/dockerd.log)')


def clean_context():
    """The build context: the project's files (tracked, and untracked ones
    git does not ignore), as a gzipped tar archive (Docker tells it from a
    Dockerfile on stdin by the compression)."""
    files = subprocess.check_output(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT).decode('utf-8').split('\0')
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz', compresslevel=1) as archive:
        for name in sorted(f for f in files if f and os.path.exists(os.path.join(ROOT, f))):
            archive.add(os.path.join(ROOT, name), arcname=name, recursive=False)
    return buffer.getvalue()


def base_kind():
    """Which base the images were built on: the real one or the stand-in."""
    labels = subprocess.check_output(
        ['docker', 'image', 'inspect', '-f', '{{json .Config.Labels}}',
         'python:3.7.17-slim-bookworm']).decode('utf-8')
    return 'the stand-in' if 'legacy_rprop.stand_in' in labels else 'the real'


def check_pins(image, backend):
    """Every ``name==version`` of the image's requirement files is installed."""
    dockerfile = open(os.path.join(ROOT, 'docker', backend + '.Dockerfile')).read()
    stack = re.search(r'^ARG STACK=(\S+)', dockerfile, re.M).group(1)
    files = ['requirements/test.txt', stack, 'requirements/demo.txt']
    freeze = subprocess.check_output(['docker', 'run', '--rm', image, 'pip', 'freeze'])
    installed = {canonical(name): version for name, version in
                 re.findall(r'^([^=\s]+)==(\S+)$', freeze.decode('utf-8'), re.M)}
    python = subprocess.check_output(
        ['docker', 'run', '--rm', image, 'python', '-c',
         'import platform; print(platform.python_version())']).decode('utf-8').strip()
    problems = []
    for path in files:
        for line in open(os.path.join(ROOT, path)):
            line = line.split('#', 1)[0].strip()
            pin = re.match(r'^([\w.-]+)==([\w.]+)\s*(?:;\s*(.*))?$', line)
            if not pin or not applies(pin.group(3), python):
                continue
            name, version = canonical(pin.group(1)), pin.group(2)
            if installed.get(name) != version:
                problems.append('%s: %s pins %s==%s, pip freeze has %s'
                                % (image, path, name, version, installed.get(name)))
    print('docker_test: %s: pip freeze has every pin of %s' % (image, ', '.join(files))
          if not problems else '', flush=True)
    return problems


def applies(marker, python):
    """Whether an environment marker (``python_version < "3.7"``) holds."""
    if not marker:
        return True
    op, version = re.match(r'python_version\s*([<>=!]+)\s*"([\d.]+)"', marker).groups()
    have = tuple(int(n) for n in python.split('.')[:2])
    want = tuple(int(n) for n in version.split('.'))
    return {'<': have < want, '<=': have <= want, '>': have > want, '>=': have >= want,
            '==': have == want, '!=': have != want}[op]


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def cache_mount(backend):
    """The Theano image's compile dir on the shared volume; nothing for TF."""
    return ['-v', '%s:/cache/theano' % THEANO_CACHE_VOLUME] if backend == 'theano' else []


def check_theano_cache_kept():
    """The volume at /cache/theano kept what the Theano image's script and
    demo compiled (the README's advice works), for the suite to reuse."""
    modules = subprocess.run(
        ['docker', 'run', '--rm'] + cache_mount('theano')
        + ['legacy-rprop:theano', 'sh', '-c', 'find /cache/theano -name "*.so" | wc -l'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode('utf-8', 'replace')
    if not modules.strip().isdigit() or int(modules) == 0:
        return ['legacy-rprop:theano: the volume at /cache/theano kept no compiled module '
                'between runs:\n%s' % modules[-3000:]]
    print('docker_test: legacy-rprop:theano: the volume at /cache/theano kept %d compiled '
          'modules between runs' % int(modules), flush=True)
    return []


def check_user_script(image, backend):
    """A user's project mounted at /work: its script trains with RProp."""
    work = tempfile.mkdtemp()
    try:
        with open(os.path.join(work, 'train.py'), 'w') as f:
            f.write(USER_SCRIPT)
        os.chmod(work, 0o777)
        output = subprocess.run(['docker', 'run', '--rm', '-v', '%s:/work' % work]
                                + cache_mount(backend) + [image, 'python', 'train.py'],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT).stdout.decode('utf-8', 'replace')
        trained = re.search(r'trained: loss ([\d.]+) -> ([\d.]+)', output)
        if not trained or not float(trained.group(2)) < 0.5 * float(trained.group(1)):
            return ['%s: the mounted script did not train:\n%s' % (image, output[-3000:])]
        if not os.path.exists(os.path.join(work, 'model.h5')):
            return ['%s: the mounted script saved no model.h5 in /work' % image]
        print('docker_test: %s: a script mounted at /work %s, saved model.h5'
              % (image, trained.group(0)), flush=True)
        return []
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_demo(image, backend):
    """The demo writes its table and plot to the folder mounted at /out."""
    out = tempfile.mkdtemp()
    try:
        os.chmod(out, 0o777)
        output = subprocess.run(['docker', 'run', '--rm', '-v', '%s:/out' % out]
                                + cache_mount(backend)
                                + [image, 'demo', '--problems', 'xor', '--epochs', '30'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                                ).stdout.decode('utf-8', 'replace')
        missing = [name for name in ('demo.md', 'demo.json', 'demo.png')
                   if not os.path.exists(os.path.join(out, name))]
        if missing:
            return ['%s: the demo wrote no %s:\n%s' % (image, ', '.join(missing),
                                                       output[-3000:])]
        print('docker_test: %s: the demo wrote demo.md, demo.json, demo.png' % image,
              flush=True)
        return []
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run(command, **kwargs):
    subprocess.check_call(command, cwd=ROOT, **kwargs)


def fail(problems):
    for problem in problems:
        print('docker_test: ' + problem, file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
