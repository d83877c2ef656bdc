"""Test cases that cover every pair of values of three parameters at a
fraction of the full product's cost (where each case builds and trains a
model, the product is too slow to run on every stack)."""


def pairwise(firsts, seconds, alternated):
    """``(first, second, third)`` for every first with every second, the third
    taken from `alternated` in turn, shifted by one from one first to the
    next. With at least as many firsts and seconds as thirds, every pair of
    two parameters' values occurs: ``len(firsts) * len(seconds)`` cases
    instead of that times ``len(alternated)``."""
    return [(first, second, alternated[(i + j) % len(alternated)])
            for i, first in enumerate(firsts) for j, second in enumerate(seconds)]
