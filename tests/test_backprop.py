"""The hand-written backward pass gives autograd's gradients, and fit's shortcuts change nothing."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import hplab
from hplab.models import ACTIVATIONS
from hplab.train import OPTIMIZERS, make_optimizer
from hplab.train._fast import Backprop, _DirectStep


def _mask(shape, keep):
    return torch.empty(shape).bernoulli_(keep).div_(keep)


def _batch(task, rows=11, n_in=5, n_out=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, n_in, generator=gen)
    if task == "classification":
        return x, torch.randint(0, n_out, (rows,), generator=gen)
    return x, torch.randn(rows, n_out, generator=gen)


def _autograd(net, x, y, task, mask_seed):
    net.train()
    torch.manual_seed(mask_seed)
    out = net(x)
    loss = F.cross_entropy(out, y) if task == "classification" else F.mse_loss(out, y)
    net.zero_grad()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in net.parameters()]


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradients_match_autograd_for_every_activation(activation, dropout, task):
    net = hplab.mlp(5, 3, depth=3, width=7, activation=activation, dropout=dropout, seed=1)
    x, y = _batch(task)
    want_loss, want = _autograd(net, x, y, task, mask_seed=5)
    params = list(net.parameters())
    grads = [torch.full_like(p, float("nan")) for p in params]  # every entry must be written
    torch.manual_seed(5)
    loss = Backprop.of(net, task).step(params, grads, x, y, masks=_mask)
    assert torch.allclose(loss, want_loss, rtol=1e-6, atol=1e-7)
    for got, ref in zip(grads, want):
        torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_stack_of_networks_gets_each_network_its_own_gradient(task):
    nets = [hplab.mlp(5, 3, depth=2, width=6, activation="tanh", seed=s) for s in range(4)]
    batches = [_batch(task, seed=s) for s in range(4)]
    params = [torch.stack(ps) for ps in zip(*(n.parameters() for n in nets))]
    params = [p if p.dim() == 3 else p.unsqueeze(1) for p in params]  # biases as (K, 1, out)
    grads = [torch.full_like(p, float("nan")) for p in params]
    x = torch.stack([b[0] for b in batches])
    y = torch.stack([b[1] for b in batches])
    losses = Backprop.of(nets[0], task).step(params, grads, x, y)
    for k, (net, (xb, yb)) in enumerate(zip(nets, batches)):
        want_loss, want = _autograd(net, xb, yb, task, mask_seed=0)
        assert torch.allclose(losses[k], want_loss, rtol=1e-6, atol=1e-7)
        for got, ref in zip(grads, want):
            torch.testing.assert_close(got[k].reshape(ref.shape), ref, rtol=1e-5, atol=1e-6)


class _Twice(nn.Module):
    def forward(self, x):
        return 2 * x


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.Linear(2, 3), _Twice(), nn.Linear(3, 2)),   # a layer it does not know
    lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(inplace=True), nn.Linear(3, 2)),
    lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU()),                   # does not end in Linear
    lambda: nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 2)),
    lambda: nn.Sequential(nn.Sequential(nn.Linear(2, 2))),
])
def test_networks_it_cannot_run_are_left_to_autograd(make):
    assert Backprop.of(make(), "classification") is None


def test_a_hook_on_the_network_hands_it_back_to_autograd():
    net = hplab.mlp(2, 2, seed=0)
    assert Backprop.of(net, "classification") is not None
    net[0].register_forward_hook(lambda *args: None)
    assert Backprop.of(net, "classification") is None


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_fit_by_hand_matches_fit_through_autograd(optimizer):
    data = hplab.load_dataset("moons", n_samples=200, seed=0)
    settings = dict(optimizer=optimizer, lr=0.05 if optimizer in ("adam", "adamw", "rmsprop") else 0.3,
                    epochs=6, batch_size=16, weight_decay=1e-3, schedule="cosine", seed=3)
    fast_net = hplab.mlp(2, 2, depth=2, width=16, dropout=0.2, seed=0)
    slow_net = hplab.mlp(2, 2, depth=2, width=16, dropout=0.2, seed=0)
    slow_net.register_forward_hook(lambda *args: None)  # forces the autograd path
    fast = hplab.fit(fast_net, data, **settings)
    slow = hplab.fit(slow_net, data, **settings)
    for key in ("train_loss", "val_loss", "batch_loss"):
        torch.testing.assert_close(torch.tensor(getattr(fast, key)), torch.tensor(getattr(slow, key)),
                                   rtol=1e-4, atol=1e-5)
    for p, q in zip(fast_net.parameters(), slow_net.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,options", [
    ("sgd", {}), ("momentum", {}), ("nesterov", {"weight_decay": 0.01}),
    ("adam", {}), ("adam", {"weight_decay": 0.01}), ("adamw", {"weight_decay": 0.1}),
])
def test_the_direct_step_is_pytorchs_step_bit_for_bit(name, options):
    start = torch.randn(50, generator=torch.Generator().manual_seed(0))
    runs = []
    for direct in (False, True):
        p = nn.Parameter(start.clone())
        opt = make_optimizer([p], name, lr=0.1, fused=True, **options)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        step = _DirectStep(opt) if direct else opt.step
        assert _DirectStep.applies(opt)
        for t in range(8):
            p.grad = torch.sin(p.detach() * (t + 1))
            step()
            sched.step()
        runs.append(p.detach().clone())
    assert torch.equal(runs[0], runs[1])


def test_the_direct_step_stands_aside_when_it_cannot_be_exact():
    p = nn.Parameter(torch.zeros(3))
    assert not _DirectStep.applies(make_optimizer([p], "adam", fused=False))
    assert not _DirectStep.applies(make_optimizer([p], "rmsprop", fused=True))
    assert not _DirectStep.applies(torch.optim.Adam([p], amsgrad=True, fused=True))
    opt = make_optimizer([p], "adam", fused=True)
    opt.register_step_post_hook(lambda *args: None)
    assert not _DirectStep.applies(opt)


def test_frozen_or_shared_parameters_are_left_to_autograd():
    frozen = hplab.mlp(2, 2, width=8, seed=0)
    frozen[0].weight.requires_grad_(False)
    shared = hplab.mlp(2, 2, width=8, seed=0)
    shared[2].bias = shared[0].bias
    assert Backprop.of(frozen, "classification") is None
    assert Backprop.of(shared, "classification") is None
