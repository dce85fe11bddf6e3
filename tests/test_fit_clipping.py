"""fit's gradient clipping (by norm, by value) and its per-minibatch gradient-norm log, checked
against PyTorch's own clip_grad_norm_ / clip_grad_value_ on the fast path and through autograd."""

import copy

import pytest
import torch
import torch.nn.functional as F

import hplab


@pytest.fixture(scope="module")
def moons():
    return hplab.load_dataset("moons", n_samples=200, seed=0)


def _reference_step(net, data, lr, clip):
    """One full-batch SGD step by hand: gradient, PyTorch's clipping, update; returns the norm."""
    net = copy.deepcopy(net).train()
    loss = F.cross_entropy(net(data.train.X), data.train.y)
    loss.backward()
    params = list(net.parameters())
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])).item()
    if "clip_grad_value" in clip:
        torch.nn.utils.clip_grad_value_(params, clip["clip_grad_value"])
    if "clip_grad_norm" in clip:
        torch.nn.utils.clip_grad_norm_(params, clip["clip_grad_norm"])
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return net, norm


@pytest.mark.parametrize("norm", [None, "layer"])  # the hand-written fast path, and autograd
@pytest.mark.parametrize("clip", [{}, {"clip_grad_norm": 0.05}, {"clip_grad_value": 0.01}])
def test_one_clipped_step_matches_pytorch(moons, norm, clip):
    net = hplab.mlp(2, 2, depth=2, width=16, norm=norm, seed=0)
    want, want_norm = _reference_step(net, moons, 0.5, clip)
    h = hplab.fit(net, moons, optimizer="sgd", lr=0.5, batch_size=len(moons.train.y), epochs=1,
                  track_gradients=True, **clip)
    assert h.grad_norm == pytest.approx([want_norm], rel=1e-5)  # logged before clipping
    for a, b in zip(net.parameters(), want.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    if clip:
        assert want_norm > 0.1  # the thresholds above really clip
        assert {k: h.config[k] for k in clip} == clip


def test_clipping_changes_the_run_and_a_loose_threshold_changes_nothing(moons):
    def run(**kw):
        net = hplab.mlp(2, 2, seed=0)
        hplab.fit(net, moons, optimizer="sgd", lr=0.5, epochs=3, **kw)
        return torch.cat([p.detach().flatten() for p in net.parameters()])

    free = run()
    assert torch.equal(run(clip_grad_norm=1e9), free)  # bit for bit: the fast path untouched
    assert torch.equal(run(clip_grad_value=1e9), free)
    assert not torch.allclose(run(clip_grad_norm=0.01), free)


def test_gradient_norm_is_logged_per_minibatch_for_any_model(moons):
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    h = hplab.fit(model, moons, epochs=2, batch_size=16, track_gradients=True)
    assert len(h.grad_norm) == len(h.batch_loss) == 2 * h.steps_per_epoch
    assert all(g > 0 for g in h.grad_norm)
    assert hplab.fit(hplab.mlp(2, 2, seed=0), moons, epochs=1).grad_norm == []  # off by default


@pytest.mark.parametrize("name", ["clip_grad_norm", "clip_grad_value"])
def test_bad_clip_threshold_is_refused(moons, name):
    with pytest.raises(ValueError, match=f"{name} must be > 0, got 0"):
        hplab.fit(hplab.mlp(2, 2, seed=0), moons, epochs=1, **{name: 0})
