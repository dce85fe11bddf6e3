"""Lesson 12: each claim about a run holds on the lesson's seed (0) and on >= 4 of seeds 1-5,
through the same package functions the lesson calls (hplab.stability, hplab.fit)."""

import pytest
from lesson_shape import shape_problems
from seeds_helpers import SEEDS, holds

import hplab
from hplab import stability


@pytest.fixture(scope="module")
def digits():
    return hplab.load_dataset("digits", seed=0)


def _plain_blows_up_and_the_norm_warns_first(data, seed):
    h = stability.deep_run(data, lr=0.1, seed=seed)
    warn = stability.first_jump(h.grad_norm)
    alarm = stability.first_jump(h.batch_loss, factor=2)
    return h.diverged and warn is not None and alarm is not None and warn <= alarm


def _fixes_hold_it(data, seed):
    runs = {name: stability.deep_run(data, lr=0.1, seed=seed, **fix)
            for name, fix in stability.FIXES.items()}
    acc = {name: h.val_metric[-1] for name, h in runs.items()}
    return (not any(h.diverged for h in runs.values())
            and acc["clip by norm (1.0)"] > 0.85 and acc["BatchNorm"] > 0.85
            and acc["clip by value (0.1)"] < acc["clip by norm (1.0)"] - 0.15
            and acc["LayerNorm"] < 0.5)


def _warmup_and_batchnorm_help_adam(data, seed):
    acc = [stability.deep_run(data, lr=0.01, optimizer="adam", seed=seed, **o).val_metric[-1]
           for o in stability.WARMUP.values()]
    return acc[1] > acc[0] + 0.03 and acc[2] > acc[0] + 0.03


def _warmup_does_not_save_a_late_blowup(data, seed):
    h = stability.deep_run(data, lr=0.1, seed=seed, schedule="warmup",
                           schedule_options={"warmup_epochs": 3})
    return h.diverged


def _one_batch_check_tells_bugs_apart(data, seed):
    correct, shuffled, piled = (stability.overfit_one_batch(data, bug=b, seed=seed)
                                for b in (None, "shuffled_labels", "no_zero_grad"))
    return correct[-1] < 0.05 and min(shuffled) > 1.5 and piled[-1] > 1


@pytest.mark.parametrize("claim", [
    _plain_blows_up_and_the_norm_warns_first, _fixes_hold_it, _warmup_and_batchnorm_help_adam,
    _warmup_does_not_save_a_late_blowup, _one_batch_check_tells_bugs_apart])
def test_claim_holds_on_the_lessons_seed_and_most_others(claim, digits):
    def check(seed):
        assert claim(digits, seed)

    holds(check, {seed: seed for seed in SEEDS})


def test_first_jump_finds_the_first_value_out_of_range():
    assert stability.first_jump([1.0] * 30 + [5.0, 11.0, 2.0]) == 31
    assert stability.first_jump([1.0] * 30 + [float("nan")]) == 30
    assert stability.first_jump([1.0] * 40) is None
    with pytest.raises(ValueError, match="baseline_steps"):
        stability.first_jump([1.0] * 5)
    with pytest.raises(ValueError, match="factor"):
        stability.first_jump([1.0] * 40, factor=1)


def test_overfit_one_batch_rejects_bad_input(digits):
    with pytest.raises(ValueError, match="bug 'typo' is unknown"):
        stability.overfit_one_batch(digits, bug="typo")
    with pytest.raises(ValueError, match="n_examples"):
        stability.overfit_one_batch(digits, n_examples=1)
    sine = hplab.load_dataset("sine", seed=0)
    with pytest.raises(ValueError, match="classification"):
        stability.overfit_one_batch(sine)


def test_overfit_one_batch_is_seeded(digits):
    a = stability.overfit_one_batch(digits, bug="shuffled_labels", steps=20, seed=3)
    assert a == stability.overfit_one_batch(digits, bug="shuffled_labels", steps=20, seed=3)


def test_norm_panel_draws_one_line_per_run_on_a_log_axis(digits):
    h = stability.deep_run(digits, lr=0.01, epochs=1)
    ax = stability.norm_panel({"a": h, "b": h})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert len(ax.lines[0].get_xdata()) == len(h.batch_loss) == len(h.grad_norm)


def test_lesson_reads_like_a_lesson():
    assert shape_problems("12_stability", checks=4) == []
