"""Bad arguments and the exact messages they must give, the same in every
Keras flavour."""
import pytest

BAD_ARGUMENTS = [
    (dict(init_alpha=0.), 'init_alpha must be > 0, got 0.0'),
    (dict(init_alpha=-1e-3), 'init_alpha must be > 0, got -0.001'),
    (dict(scale_up=1.), 'scale_up must be > 1, got 1.0'),
    (dict(scale_up=0.5), 'scale_up must be > 1, got 0.5'),
    (dict(scale_down=0.), 'scale_down must be in (0, 1), got 0.0'),
    (dict(scale_down=1.), 'scale_down must be in (0, 1), got 1.0'),
    (dict(scale_down=1.5), 'scale_down must be in (0, 1), got 1.5'),
    (dict(min_alpha=0.), 'min_alpha must be > 0, got 0.0'),
    (dict(min_alpha=-1.), 'min_alpha must be > 0, got -1.0'),
    (dict(min_alpha=2., max_alpha=1.), 'max_alpha must be >= min_alpha (2.0), got 1.0'),
    (dict(init_alpha=float('nan')), 'init_alpha must be a finite number, got nan'),
    (dict(max_alpha=float('inf')), 'max_alpha must be a finite number, got inf'),
    (dict(scale_up='1.2'), "scale_up must be a finite number, got '1.2'"),
    (dict(scale_up=True), 'scale_up must be a finite number, got True'),
    (dict(nonfinite='ignore'),
     "nonfinite must be one of 'skip', 'propagate', got 'ignore'"),
    (dict(variant='rprop+'),
     "variant must be one of 'keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', "
     "'iRprop+', got 'rprop+'"),
]

QUESTION_BAD_ARGUMENTS = [
    (dict(init_step=0.), 'init_step must be > 0, got 0.0'),
    (dict(posStep=1.), 'posStep must be > 1, got 1.0'),
    (dict(negStep=1.), 'negStep must be in (0, 1), got 1.0'),
    (dict(minStep=0.), 'minStep must be > 0, got 0.0'),
    (dict(minStep=1., maxStep=0.5), 'maxStep must be >= minStep (1.0), got 0.5'),
    (dict(variant='iRprop+'),
     "Rprop implements the variant 'Rprop+' only, got variant='iRprop+'; "
     "use RProp(variant='iRprop+') for the others"),
]

# a list is not a variant name (and must not fail with a TypeError on hashing)
BAD_ARGUMENTS.append(
    (dict(variant=['Rprop+']),
     "variant must be one of 'keras-answer', 'Rprop-', 'iRprop-', 'Rprop+', "
     "'iRprop+', got ['Rprop+']"))

BAD_ARGUMENTS.extend([
    (dict(batches_per_step=0), 'batches_per_step must be an integer >= 1, got 0'),
    (dict(batches_per_step=2.5), 'batches_per_step must be an integer >= 1, got 2.5'),
    (dict(batches_per_step=True), 'batches_per_step must be an integer >= 1, got True'),
])


def assert_refused(make, kwargs, message, error=ValueError):
    """``make(**kwargs)`` raises `error`, whose message is exactly `message`."""
    with pytest.raises(error) as raised:
        make(**kwargs)
    assert str(raised.value) == message
