"""fit's two training steps: the fast path (hand-written backward pass, fused optimizer step)
gives the reference autograd loop's History, and it stands aside wherever it does not apply."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import hplab
from hplab.train import AutogradStep, FastStep, Objective, fitting

KEYS = ("train_loss", "val_loss", "train_metric", "val_metric", "batch_loss", "lr")


def _reference_only(monkeypatch):
    """Make fit take the plain autograd loop for every model."""
    monkeypatch.setattr(fitting.FastStep, "of", classmethod(lambda cls, *args: None))


def _spy_steps(monkeypatch) -> list:
    """Record which step each fit call used."""
    used = []
    real_fast, real_plain = fitting.FastStep.of.__func__, fitting.AutogradStep

    def fast_of(cls, *args):
        step = real_fast(cls, *args)
        used.append("fast" if step is not None else "checked")
        return step

    class Plain(real_plain):
        def __init__(self, *args):
            used.append("autograd")
            super().__init__(*args)

    monkeypatch.setattr(fitting.FastStep, "of", classmethod(fast_of))
    monkeypatch.setattr(fitting, "AutogradStep", Plain)
    return used


@pytest.mark.parametrize("dataset, n_in, n_out", [("moons", 2, 2), ("sine", 1, 1)])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw", "rmsprop"])
def test_the_fast_path_gives_the_reference_loops_history(dataset, n_in, n_out, optimizer, monkeypatch):
    data = hplab.load_dataset(dataset, n_samples=240, seed=0)
    settings = dict(optimizer=optimizer, lr=0.02, epochs=5, batch_size=16, weight_decay=1e-3,
                    schedule="cosine", seed=4)
    used = _spy_steps(monkeypatch)
    fast_net = hplab.mlp(n_in, n_out, depth=2, width=16, activation="tanh", seed=1)
    fast = hplab.fit(fast_net, data, **settings)
    assert used == ["fast"]
    _reference_only(monkeypatch)
    ref_net = hplab.mlp(n_in, n_out, depth=2, width=16, activation="tanh", seed=1)
    ref = hplab.fit(ref_net, data, **settings)
    for key in KEYS:
        torch.testing.assert_close(torch.tensor(getattr(fast, key)), torch.tensor(getattr(ref, key)),
                                   rtol=1e-4, atol=1e-5, msg=key)
    assert (fast.status, fast.best_epoch, fast.epoch) == (ref.status, ref.best_epoch, ref.epoch)
    for p, q in zip(fast_net.parameters(), ref_net.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_same_seed_same_history_on_either_path(moons, monkeypatch):
    runs = [hplab.fit(hplab.mlp(2, 2, seed=0), moons, epochs=3, seed=2).batch_loss for _ in range(2)]
    _reference_only(monkeypatch)
    runs += [hplab.fit(hplab.mlp(2, 2, seed=0), moons, epochs=3, seed=2).batch_loss for _ in range(2)]
    assert runs[0] == runs[1] and runs[2] == runs[3]


class _Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = hplab.mlp(2, 2, seed=0)

    def forward(self, x):
        return self.net(x)


@pytest.mark.parametrize("model, settings", [
    (_Wrapped, {}),                                                           # not a plain MLP
    (lambda: hplab.mlp(2, 2, norm="batch", seed=0), {}),                      # BatchNorm
    (lambda: hplab.mlp(2, 2, seed=0), dict(loss=lambda out, y: F.cross_entropy(out, y))),  # own loss
    (lambda: hplab.mlp(2, 2, seed=0), dict(class_weight="balanced")),         # weighted loss
])
def test_fit_falls_back_to_autograd_where_the_fast_path_does_not_apply(model, settings, moons,
                                                                       monkeypatch):
    used = _spy_steps(monkeypatch)
    hist = hplab.fit(model(), moons, epochs=2, **settings)
    assert used == ["checked", "autograd"] and hist.status == "completed"


def test_the_fast_path_is_for_the_cpu_and_the_standard_loss_only(moons):
    net = hplab.mlp(2, 2, seed=0)
    assert FastStep.of(net, Objective(moons), torch.device("cpu")) is not None
    assert FastStep.of(hplab.mlp(2, 2, seed=0), Objective(moons), torch.device("cuda")) is None
    assert FastStep.of(hplab.mlp(2, 2, seed=0), Objective(moons, loss=F.cross_entropy),
                       torch.device("cpu")) is None
    sine = hplab.load_dataset("sine", n_samples=100, seed=0)
    scaled = Objective(sine, scale=(torch.zeros(1), torch.ones(1)))
    assert FastStep.of(hplab.mlp(1, 1, seed=0), scaled, torch.device("cpu")) is None


def test_the_reference_step_is_a_plain_pytorch_step(moons):
    """AutogradStep: gradients as loss.backward() gives them, update as optimizer.step()."""
    net, twin = hplab.mlp(2, 2, seed=0), hplab.mlp(2, 2, seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    step = AutogradStep(net, Objective(moons), opt)
    X, y = moons.train.X[:32], moons.train.y[:32]
    loss = step.gradients(X, y)
    step.update()
    want = F.cross_entropy(twin(X), y)
    want.backward()
    with torch.no_grad():
        for p in twin.parameters():
            p -= 0.1 * p.grad
    torch.testing.assert_close(loss.detach(), want.detach())
    for p, q in zip(net.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q)
