"""The README's examples run (examples/); the Horovod one in test_horovod.py."""
import importlib.util
import os

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                        'examples')


def example(name):
    """The module examples/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accumulating_batches_from_a_generator_trains_full_batch():
    losses = example('accumulate_batches').main(
        ['--samples', '2000', '--batch', '300', '--epochs', '15'])
    assert len(losses) == 15
    assert losses[-1] < 0.5 * losses[0]
