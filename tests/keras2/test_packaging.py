"""Packaging: the Docker images run what tox runs (same pins, environment
and command: read from the files here, built and run by tools/docker_test.py
in `make test`), the make targets install before they run, setup.py names
the tested Pythons and requires no Keras, what each import imports, and
CI deletes each tox environment once it has run (tools/discard_env.py)."""
import configparser
import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from support.processes import same_imports

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
BACKENDS = ('theano', 'tensorflow')
# set by tox for its own bookkeeping, or by the image for pip only
TOX_ONLY = {'PYTEST_ADDOPTS'}
IMAGE_ONLY = {'PIP_NO_CACHE_DIR', 'PIP_DISABLE_PIP_VERSION_CHECK'}


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


def tox_values(key, env):
    """The lines of [testenv] `key` that apply to `env` (factor-conditional
    lines like ``theano,crossbackend: ...`` included when a factor matches)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(read('tox.ini'))
    factors = set(env.split('-'))

    def applies(condition):
        # a,b: either; a-b: both; !a: not a
        return any(all((f[1:] not in factors) if f.startswith('!') else (f in factors)
                       for f in alternative.split('-'))
                   for alternative in condition.split(','))

    values = []
    for line in config['testenv'][key].strip().splitlines():
        line = line.strip()
        if line.startswith('#'):
            continue
        match = re.match(r'^([!\w,-]+):\s*(.*)$', line)
        if match and not match.group(2).startswith('//'):
            if applies(match.group(1)):
                values.append(match.group(2))
        else:
            values.append(line)
    return values


def dockerfile(backend):
    """Instructions of docker/<backend>.Dockerfile as (keyword, argument)."""
    text = re.sub(r'\\\n', ' ', read('docker', backend + '.Dockerfile'))
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.strip().startswith('#')]
    return [tuple(line.split(None, 1)) for line in lines]


def instructions(backend, keyword):
    """The instructions `keyword` of the Dockerfile, its build arguments'
    defaults put in (``$STACK``)."""
    defaults = dict(shlex.split(arg)[0].split('=', 1)
                    for key, arg in dockerfile(backend) if key == 'ARG')
    def value(match):
        return shlex.quote(defaults.get(match.group(1), match.group(0)))
    return [re.sub(r'\$(\w+)', value, arg)
            for key, arg in dockerfile(backend) if key == keyword]


def without_cache_dir(flags):
    return ','.join(f for f in flags.split(',') if not f.startswith('base_compiledir='))


@pytest.mark.parametrize('backend', BACKENDS)
def test_image_installs_the_requirement_files_of_its_tox_environment(backend):
    tox_files = [d.split()[1] for d in tox_values('deps', 'py37-' + backend)]
    installs = [shlex.split(run) for run in instructions(backend, 'RUN')
                if run.startswith('pip install -r')]
    assert len(installs) == 1
    image_files = [arg for flag, arg in zip(installs[0], installs[0][1:]) if flag == '-r']
    assert image_files == tox_files
    assert 'RUN pip install --no-deps .' in ['RUN ' + r for r in instructions(backend, 'RUN')]


@pytest.mark.parametrize('backend', BACKENDS)
def test_image_runs_the_command_of_its_tox_environment(backend):
    """By default the image runs the entrypoint's `test`: tox's command, in
    tox's folder."""
    tox_commands = tox_values('commands', 'py37-' + backend)
    assert len(tox_commands) == 1
    tox_command = [a for a in shlex.split(tox_commands[0]) if a != '{posargs}']
    assert json.loads(instructions(backend, 'CMD')[0]) == ['test']
    test_case = read('docker', 'entrypoint').split('    test)', 1)[1].split(';;', 1)[0]
    lines = [line.strip() for line in test_case.strip().splitlines()]
    assert lines[1] == 'cd /app/' + tox_values('changedir', 'py37-' + backend)[0].split('}/')[1]
    assert shlex.split(lines[2])[:2] == ['exec', 'pytest']
    assert shlex.split(lines[2])[1:-1] == tox_command and lines[2].endswith('"$@"')


@pytest.mark.parametrize('backend', BACKENDS)
def test_image_sets_the_environment_of_its_tox_environment(backend):
    tox_env = dict(re.split(r'\s*=\s*', line, maxsplit=1)
                   for line in tox_values('setenv', 'py37-' + backend))
    image_env = dict(pair.split('=', 1)
                     for pair in shlex.split(' '.join(instructions(backend, 'ENV'))))
    for name in TOX_ONLY:
        tox_env.pop(name)
    for name in IMAGE_ONLY:
        image_env.pop(name)
    if 'THEANO_FLAGS' in tox_env:
        tox_env['THEANO_FLAGS'] = without_cache_dir(tox_env['THEANO_FLAGS'])
        image_env['THEANO_FLAGS'] = without_cache_dir(image_env['THEANO_FLAGS'])
    assert image_env == tox_env
    assert image_env['KERAS_BACKEND'] == backend


@pytest.mark.parametrize('backend', BACKENDS)
def test_image_uses_the_python_of_its_tox_environment(backend):
    assert re.match(r'python:3\.7(\.\d+)?-', instructions(backend, 'FROM')[0])


@pytest.mark.parametrize('backend', BACKENDS)
def test_every_copy_source_exists(backend):
    copies = instructions(backend, 'COPY')
    assert copies
    for copy in copies:
        for source in shlex.split(copy)[:-1]:
            assert os.path.exists(os.path.join(ROOT, source)), source


@pytest.mark.parametrize('backend', BACKENDS)
def test_the_stacks_a_dockerfile_offers_are_stacks_of_tox(backend):
    """The build arguments its comment shows name a requirements file and
    the versions a tox environment pins for it."""
    offered = re.findall(r'--build-arg STACK=(\S+) \\\n#\s+--build-arg EXPECT_STACK="([^"]+)"',
                         read('docker', backend + '.Dockerfile'))
    assert offered
    pinned = {}  # requirements file -> what the environments that install it pin
    for env in tox_environments():
        setenv = dict(re.split(r'\s*=\s*', line, maxsplit=1) for line in tox_values('setenv', env))
        for dep in tox_values('deps', env):
            pinned.setdefault(dep.split()[1], set()).add(setenv['LEGACY_RPROP_EXPECT_STACK'])
    for stack, expect in offered:
        assert os.path.exists(os.path.join(ROOT, stack)), stack
        assert expect in pinned.get(stack, ()), stack


def tox_environments():
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(read('tox.ini'))
    return [e.strip() for e in config['tox']['envlist'].replace('\n', ' ').split(',')
            if e.strip() != 'lint']


def test_setup_extras_pin_the_versions_of_the_requirement_files():
    setup = read('setup.py')
    for backend, package in (('theano', 'theano-pymc'), ('tensorflow', 'tensorflow')):
        pins = dict(line.split('==') for line in read('requirements', backend + '.txt').splitlines()
                    if '==' in line and not line.startswith('#') and ';' not in line)
        assert "'%s==%s'" % (package, pins[package]) in setup
        assert "'h5py==%s'" % pins['h5py'] in setup


def makefile_recipe(target):
    """The command lines of a Makefile target's recipe."""
    lines = read('Makefile').splitlines()
    start = lines.index('%s:' % target) + 1
    recipe = []
    for line in lines[start:]:
        if not line.startswith('\t'):
            break
        recipe.append(line.strip())
    return recipe


@pytest.mark.parametrize('target', ['demo', 'bench', 'bench-torch'])
def test_make_targets_install_the_package_before_running_in_its_environment(target):
    """`tox exec` neither builds an environment's package nor installs it,
    so on a fresh checkout it must follow a `tox run --notest` of the same
    environment; and it must not be given `python -m legacy_rprop`, which
    tox rewrites into a path because a folder of that name is in the root."""
    recipe = makefile_recipe(target)
    executed = [line for line in recipe if ' exec ' in line]
    assert executed
    prepared = [i for i, line in enumerate(recipe) if ' run ' in line and '--notest' in line]
    assert prepared and prepared[0] < recipe.index(executed[0])
    env = re.search(r' run -e (\S+)', recipe[prepared[0]]).group(1)
    assert all(('-e %s ' % env) in line for line in executed)
    assert not any('-m legacy_rprop' in line for line in executed)


def discard_env(env_dir, switch):
    """Runs tools/discard_env.py on `env_dir` with LEGACY_RPROP_DISCARD_ENVS
    set to `switch` (None: not set); its exit code and output."""
    env = dict(os.environ)
    env.pop('LEGACY_RPROP_DISCARD_ENVS', None)
    if switch is not None:
        env['LEGACY_RPROP_DISCARD_ENVS'] = switch
    run = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'discard_env.py'),
                          str(env_dir)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True)
    return run.returncode, run.stdout


def fake_env(root):
    """A folder laid out as tox's virtual environments are."""
    for folder in ('bin', 'lib/python3.7/site-packages/tensorflow', 'log', 'tmp'):
        os.makedirs(os.path.join(str(root), folder))
    for name in ('pyvenv.cfg', 'lib/python3.7/site-packages/tensorflow/__init__.py',
                 'log/1-commands[0].log'):
        with open(os.path.join(str(root), name), 'w') as f:
            f.write('x')
    os.symlink(sys.executable, os.path.join(str(root), 'bin', 'python'))
    return sorted(os.listdir(str(root)))


def test_discard_env_deletes_all_but_the_log_when_ci_asks(tmp_path):
    fake_env(tmp_path)
    code, output = discard_env(tmp_path, '1')
    assert code == 0, output
    assert os.listdir(str(tmp_path)) == ['log']
    assert os.listdir(str(tmp_path / 'log')) == ['1-commands[0].log']
    assert os.path.exists(sys.executable)


@pytest.mark.parametrize('switch', [None, '0'])
def test_discard_env_keeps_everything_by_default(tmp_path, switch):
    before = fake_env(tmp_path)
    assert discard_env(tmp_path, switch) == (0, '')
    assert sorted(os.listdir(str(tmp_path))) == before


@pytest.mark.parametrize('switch', ['yes', 'true', '2', ''])
def test_discard_env_names_the_values_it_takes(tmp_path, switch):
    before = fake_env(tmp_path)
    code, output = discard_env(tmp_path, switch)
    assert code != 0
    assert "LEGACY_RPROP_DISCARD_ENVS must be 0 (keep) or 1 (discard), got '%s'" % switch \
        in output
    assert sorted(os.listdir(str(tmp_path))) == before


def test_discard_env_deletes_nothing_that_is_not_a_virtual_environment(tmp_path):
    before = fake_env(tmp_path)
    os.remove(str(tmp_path / 'pyvenv.cfg'))
    code, output = discard_env(tmp_path, '1')
    assert code != 0 and 'is not a virtual environment' in output
    assert sorted(os.listdir(str(tmp_path))) == sorted(set(before) - {'pyvenv.cfg'})


def test_tox_discards_every_environment_but_the_stack_crossbackend_needs():
    """In CI every environment is deleted once its tests have run, but the
    one py37-crossbackend compares with (it runs after that one)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(read('tox.ini'))
    assert tox_values('commands_post', 'py37-keras225-tf115') == [
        'python {toxinidir}/tools/discard_env.py {envdir}']
    assert 'LEGACY_RPROP_DISCARD_ENVS' in config['testenv']['pass_env']
    other = [line for line in tox_values('setenv', 'py37-crossbackend')
             if line.startswith('LEGACY_RPROP_OTHER_STACK')]
    kept = other[0].split('{toxworkdir}/')[1]
    assert config['testenv:' + kept]['commands_post'].strip() == ''
    assert config['testenv:py37-crossbackend']['depends'].strip() == kept
    assert 'export LEGACY_RPROP_DISCARD_ENVS=1' in read('.ci', 'run').splitlines()


def test_a_theano_flag_theano_does_not_know_stops_the_run(not_applicable):
    """conftest.py makes Theano's warning about a THEANO_FLAGS entry it does
    not know an error: the run stops, naming it."""
    if os.environ.get('KERAS_BACKEND') != 'theano':
        return not_applicable('THEANO_FLAGS is read by Theano only: this stack runs %s'
                              % os.environ.get('KERAS_BACKEND'))
    flags = os.environ['THEANO_FLAGS'] + ',no_such_flag=1'
    tests = os.path.dirname(os.path.abspath(__file__))
    run = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q',
                          'test_rules.py'], cwd=tests, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         env=same_imports(THEANO_FLAGS=flags, PYTEST_ADDOPTS=''))
    output = run.stdout.decode('utf-8', 'replace')
    assert run.returncode != 0, output[-2000:]
    assert 'Theano does not recognise this flag: no_such_flag' in output, output[-2000:]
    return None


def test_setup_names_exactly_the_pythons_of_the_tox_environments():
    config = configparser.ConfigParser(interpolation=None)
    config.read_string(read('tox.ini'))
    envs = [e.strip() for e in config['tox']['envlist'].replace('\n', ' ').split(',')]
    tested = sorted({'3.%s' % re.match(r'py3(\d+)-', e).group(1) for e in envs
                     if re.match(r'py3\d+-', e)}, key=lambda v: int(v.split('.')[1]))
    setup = read('setup.py')
    classified = re.findall(r"'Programming Language :: Python :: (3\.\d+)'", setup)
    assert classified == tested
    # python_requires admits exactly those, from 3.6 to 3.13
    spec = re.search(r"python_requires='([^']+)'", setup).group(1).split(', ')
    admitted = []
    for minor in range(6, 14):
        version = (3, minor)
        ok = True
        for clause in spec:
            op, number = re.match(r'(>=|<|!=)(\d+\.\d+)', clause).groups()
            bound = tuple(int(n) for n in number.split('.'))
            ok &= {'>=': version >= bound, '<': version < bound, '!=': version != bound}[op]
        if ok:
            admitted.append('3.%d' % minor)
    assert admitted == tested


def test_setup_requires_no_keras_so_that_installing_never_changes_it():
    setup = read('setup.py')
    requires = re.search(r"install_requires=\[([^\]]*)\]", setup).group(1)
    assert 'keras' not in requires.lower() and 'tensorflow' not in requires.lower()


def imported_after(code):
    """The modules of legacy_rprop and Keras that a new Python has imported
    after running `code`, and the custom objects Keras knows."""
    import subprocess
    import sys
    code += ('\nimport json, sys\n'
             'keras = sys.modules.get("keras")\n'
             'known = sorted(keras.utils.get_custom_objects()) if keras else None\n'
             'print(json.dumps([sorted(m for m in sys.modules if m.split(".")[0] in '
             '("legacy_rprop", "keras")), known]))')
    out = subprocess.check_output([sys.executable, '-c', code], env=same_imports())
    return json.loads(out.decode('utf-8').strip().splitlines()[-1])


def test_importing_the_package_imports_no_keras():
    modules, known = imported_after('import legacy_rprop')
    assert 'legacy_rprop' in modules and known is None
    assert not [m for m in modules if m.startswith(('keras', 'legacy_rprop.keras2'))]


@pytest.mark.parametrize('code', ['import legacy_rprop; import keras',
                                  'import keras; import legacy_rprop',
                                  'import keras.models; import legacy_rprop'])
def test_a_bare_import_registers_the_classes_with_multi_backend_keras(code):
    """Whichever comes first: load_model and optimizers.get then find them."""
    modules, known = imported_after(code)
    assert {'RProp', 'Rprop'} <= set(known)
    assert 'legacy_rprop.keras2' in modules


def test_the_multi_backend_flavour_imports_no_other_flavour():
    modules, _ = imported_after('from legacy_rprop import RProp')
    assert 'legacy_rprop.keras2' in modules
    assert not [m for m in modules if m.startswith(('legacy_rprop.tfkeras',
                                                    'legacy_rprop.keras3'))]


def test_contributing_describes_every_module_and_no_other():
    """CONTRIBUTING's layout section names each module of the package (and
    the old name's module) in a bullet of at most two lines, and nothing
    that is not there."""
    section = read('CONTRIBUTING.md').split('## Layout', 1)[1].split('\n## ', 1)[0]
    bullets = re.findall(r'^- `([^`]+\.py)`: (.+?)(?=^- |^\n)', section, re.M | re.S)
    described = [path for path, _ in bullets]
    modules = sorted(os.path.relpath(os.path.join(folder, name), ROOT)
                     for folder, _, names in os.walk(os.path.join(ROOT, 'legacy_rprop'))
                     for name in names if name.endswith('.py'))
    assert sorted(described) == sorted(modules + ['legacy_rprop_tfkeras.py'])
    for path, text in bullets:
        assert len(text.strip().splitlines()) <= 2, path
