"""The README's examples run (examples/); the Horovod one in test_horovod.py."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, 'examples'))

import accumulate_batches  # noqa: E402


def test_accumulating_batches_from_a_generator_trains_full_batch():
    losses = accumulate_batches.main(['--samples', '2000', '--batch', '300', '--epochs', '15'])
    assert len(losses) == 15
    assert losses[-1] < 0.5 * losses[0]
