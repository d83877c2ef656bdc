"""Delete a tox environment's installed files once its tests have run, when
LEGACY_RPROP_DISCARD_ENVS=1 (CI's `.ci/run` sets it; elsewhere this does
nothing):

    python tools/discard_env.py ENV_DIR

Every environment installs its own TensorFlow, JAX or PyTorch: kept to the
end, they add up to about 18 GB, while CI's disk is shared and sometimes has
far less free. Deleted as each one ends, at most the two running at a time
and the stacks others compare with are on disk. What is kept: `log/`, where
tox writes the record of this very command after it ends. tox builds a
discarded environment again the next time it runs it. (tools/docker_test.py
removes its two images under the same switch once their suites have run.)
"""
import os
import shutil
import sys

SWITCH = 'LEGACY_RPROP_DISCARD_ENVS'


def discarding():
    """Whether LEGACY_RPROP_DISCARD_ENVS asks to discard (exits, naming the
    values it takes, on any other than 0 or 1)."""
    switch = os.environ.get(SWITCH, '0')
    if switch not in ('0', '1'):
        sys.exit('%s must be 0 (keep) or 1 (discard), got %r' % (SWITCH, switch))
    return switch == '1'


def main(env_dir):
    discard = discarding()
    if not os.path.isfile(os.path.join(env_dir, 'pyvenv.cfg')):
        sys.exit('discard_env: %s is not a virtual environment (no pyvenv.cfg); '
                 'nothing deleted' % env_dir)
    if not discard:
        return 0
    for name in os.listdir(env_dir):
        path = os.path.join(env_dir, name)
        if name == 'log':
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    print('discard_env: deleted %s (but log/)' % env_dir)
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: discard_env.py ENV_DIR')
    sys.exit(main(sys.argv[1]))
