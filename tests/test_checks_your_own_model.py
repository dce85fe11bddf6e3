"""Exercise 14 check: the solution's factory passes, a different correct one passes, and the
typical mistakes are named, all of them in one run."""

from checks_helpers import assert_fails, assert_passes, placeholder
from torch import nn

from hplab import checks
from hplab.reference import small_cnn


def solution(params, data):  # the solution's answer
    c, h, w = data.input_shape
    k = params["channels"]
    return nn.Sequential(nn.Conv2d(c, k, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(k * (h // 2) * (w // 2), data.n_outputs))


def two_convs_and_global_pooling(params, data):
    """Another right answer: two convolutions and an average over the whole image."""
    k = params["channels"]
    return nn.Sequential(nn.Conv2d(data.input_shape[0], k, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(k, 2 * k, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * k, data.n_outputs))


def written_for_the_digits(params, data):
    """The typical mistake: sizes copied from the digits, channels ignored."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 10))


SHARED = {}


def one_network_for_every_trial(params, data):
    """Another mistake: the network is built once and handed out again."""
    key = (data.input_shape, params["channels"])
    if key not in SHARED:
        SHARED[key] = solution(params, data)
    return SHARED[key]


def frozen(params, data):
    """A network that cannot learn: every weight frozen at its initial value."""
    model = solution(params, data)
    for p in model.parameters():
        p.requires_grad_(False)
    model[-1].bias.requires_grad_(True)  # something for the optimizer to hold
    return model


def test_the_solution_and_other_right_answers_pass():
    assert_passes(checks.model_factory(solution))
    assert_passes(checks.model_factory(two_convs_and_global_pooling))
    assert_passes(checks.model_factory(small_cnn))


def test_a_factory_written_for_the_digits_alone_is_named():
    fb = checks.model_factory(written_for_the_digits)
    assert_fails(fb, "data.input_shape", "same size", "params['channels']")


def test_one_network_for_every_trial_is_named():
    assert_fails(checks.model_factory(one_network_for_every_trial), "same network object")


def test_a_network_that_does_not_learn_is_named():
    assert_fails(checks.model_factory(frozen), "validation accuracy in 5 epochs")


def test_placeholders_and_wrong_types_are_named():
    assert_fails(checks.model_factory(placeholder), "not written yet")
    assert_fails(checks.model_factory(lambda params, data: "cnn"), "nn.Module")
    assert_fails(checks.model_factory(nn.Linear(2, 2)), "")  # a module is not a factory
