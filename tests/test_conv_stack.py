"""Conv nets trained side by side: each member is the net it was built from, and trains as it would alone."""

import copy

import pytest
import torch

from relulab.nets.conv_stack import ConvStack, fit_stack
from relulab.nets.gated_conv import ConvNet, GatedConvNet

F64 = torch.float64
IMAGE = (1, 5, 5)


def net(seed, head="gap", dense=(6, 4)):
    m = ConvNet((2, 3), dense, image=IMAGE, n_out=3, head=head, seed=seed, dtype=F64)
    with torch.no_grad():  # nonzero biases
        for p in m.parameters():
            if p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed), dtype=F64))
    return m


def members(head="gap", dense=(6, 4)):
    relu = net(0, head, dense)
    hard = GatedConvNet(net(1, head, dense), net(2, head, dense)).freeze("feature")
    soft = GatedConvNet(net(3, head, dense), net(4, head, dense), gate="soft", beta=3.0)
    soft_frozen = GatedConvNet(net(5, head, dense), net(6, head, dense), gate="soft", beta=3.0).freeze("feature")
    return [relu, hard, soft, soft_frozen]


def images(n=7, seed=9):
    return torch.randn(n, *IMAGE, generator=torch.Generator().manual_seed(seed), dtype=F64)


@pytest.mark.parametrize("head", ["gap", "flatten"])
@pytest.mark.parametrize("dense", [(6, 4), ()])
def test_each_member_computes_what_its_own_net_computes(head, dense):
    nets = members(head, dense)
    stack = ConvStack(nets)
    X = images()
    out = stack(X)
    for m, n in enumerate(nets):
        ref = n(X)
        assert (out[m] - ref).abs().max() <= 1e-12 * max(1.0, ref.abs().max().item())
        assert (stack.member(m)(X) - ref).abs().max() <= 1e-12 * max(1.0, ref.abs().max().item())
    # one batch per member
    Xm = torch.stack([images(4, seed=s) for s in range(len(nets))])
    out = stack(Xm)
    for m, n in enumerate(nets):
        assert torch.allclose(out[m], n(Xm[m]), rtol=1e-12, atol=1e-12)


def test_frozen_parts_are_not_parameters_and_trained_features_get_gradient():
    stack = ConvStack(members())
    stack(images()).sum().backward()
    names = [n for n, p in stack.named_parameters() if p.requires_grad]
    assert any(n.startswith("features.trained") for n in names)
    assert not any(n.startswith("features.frozen") for n in names)
    assert all(p.grad is not None for n, p in stack.named_parameters() if p.requires_grad)


def test_a_member_trains_in_the_stack_exactly_as_alone():
    X, y = images(24, seed=1), torch.randint(0, 3, (24,), generator=torch.Generator().manual_seed(2))
    Xv, yv = images(10, seed=3), torch.randint(0, 3, (10,), generator=torch.Generator().manual_seed(4))
    nets = members()
    kw = dict(val=(Xv, yv), patience=2, max_epochs=30, lr=1e-2, batch_size=8, seed=5)
    both = fit_stack(ConvStack(nets), X, y.expand(4, -1), groups=[1, 2, 0, 3], watch=[2], **kw)
    alone = fit_stack(ConvStack([copy.deepcopy(nets[2])]), X, y[None], groups=[0], **kw)
    assert both.best_epoch[2] == alone.best_epoch[0]
    a, b = alone.best[0], both.best[2]
    last = f"feature.dense.{len(a.feature.dense) - 1}."
    used = [(n, p) for n, p in a.named_parameters() if not n.startswith(last)]
    ref = dict(b.named_parameters())  # the feature net's output layer is never used: not kept
    assert all((p - ref[n]).abs().max() <= 1e-12 for n, p in used)
    # the groups may also come as an integer tensor (as train_stack takes them): the same training
    again = fit_stack(ConvStack(nets), X, y.expand(4, -1), groups=torch.tensor([1, 2, 0, 3]), watch=[2], **kw)
    assert torch.equal(again.val_acc, both.val_acc) and again.best_epoch == both.best_epoch
    # early stopping: the kept epoch is the first best one, and the run ended patience epochs later
    acc = alone.val_acc[:, 0]
    assert alone.best_epoch[0] == int(torch.nonzero(acc == acc.max())[0]) == len(acc) - 3
    assert ((b(Xv).argmax(-1) == yv).double().mean() == both.val_acc[both.best_epoch[2], 2]).item()


def test_an_unconverged_run_is_refused():
    X, y = images(8), torch.zeros(8, dtype=torch.long)
    with pytest.raises(RuntimeError, match="max_epochs"):
        fit_stack(ConvStack([net(0)]), X, y[None], val=(X, y), patience=5, max_epochs=2)


def test_fit_moves_the_stack_there_and_back_even_when_a_callback_raises():
    X, y = images(16, seed=1), torch.randint(0, 3, (16,), generator=torch.Generator().manual_seed(2))
    stack, moves = ConvStack(members()), []
    to = stack.to
    stack.to = lambda d: moves.append(torch.device(d)) or to(d)  # a spy on the moves

    def stop(epoch, s):
        raise KeyError("stop")

    with pytest.raises(KeyError):
        fit_stack(stack, X, y.expand(4, -1), val=(X, y), patience=1, max_epochs=3, device="cpu", on_epoch=stop)
    assert moves == [torch.device("cpu"), torch.device("cpu")]  # to the device, then home


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_stack_trained_on_cuda_follows_the_cpu_run():
    # same batches (drawn on the CPU) and float64: the two runs differ by rounding only
    X, y = images(24, seed=1), torch.randint(0, 3, (24,), generator=torch.Generator().manual_seed(2))
    Xv, yv = images(10, seed=3), torch.randint(0, 3, (10,), generator=torch.Generator().manual_seed(4))
    kw = dict(val=(Xv, yv), patience=2, max_epochs=30, lr=1e-2, batch_size=8, seed=5, groups=[0, 1, 2, 3])
    gpu = fit_stack(ConvStack(members()), X, y.expand(4, -1), device="cuda", **kw)
    cpu = fit_stack(ConvStack(members()), X, y.expand(4, -1), **kw)
    assert gpu.best_epoch == cpu.best_epoch
    for m in range(4):
        with torch.no_grad():
            a, b = gpu.best[m](Xv), cpu.best[m](Xv)
        assert next(gpu.best[m].parameters()).device.type == "cpu"
        assert (a - b).abs().max() <= 1e-8 * max(1.0, b.abs().max().item())


def test_every_watched_member_stops_on_its_own():
    # Each member's kept copy and best epoch are those of training it alone with early stopping, whatever the
    # others do (a stack-wide rule would let a member that improves again later replace its copy).
    X, y = images(24, seed=1), torch.randint(0, 3, (24,), generator=torch.Generator().manual_seed(2))
    Xv, yv = images(10, seed=3), torch.randint(0, 3, (10,), generator=torch.Generator().manual_seed(4))
    nets = members()
    kw = dict(val=(Xv, yv), patience=1, max_epochs=40, lr=1e-2, batch_size=8, seed=5)
    both = fit_stack(ConvStack(nets), X, y.expand(4, -1), groups=[0, 1, 2, 3], **kw)
    # the case that tells the rules apart: a member beats its kept accuracy after it has stopped
    A = both.val_acc
    assert any(A[e, m] > A[b, m] for m, b in both.best_epoch.items() for e in range(b + 2, len(A)))
    for m, member in enumerate(nets):
        alone = fit_stack(ConvStack([copy.deepcopy(member)]), X, y[None], groups=[m], **kw)
        assert both.best_epoch[m] == alone.best_epoch[0]
        assert (both.best[m](Xv) - alone.best[0](Xv)).abs().max() <= 1e-12
    # the members stopped at different epochs, so the check above is not one shared stopping time
    assert len(set(both.best_epoch.values())) > 1
