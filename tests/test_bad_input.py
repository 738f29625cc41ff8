"""Bad input, everywhere: every public function of relulab refuses each applicable kind of bad input with a clear
ValueError/TypeError whose message names the argument (never a silently wrong number, never an IndexError deep inside).

One table: (function, kind of bad input) -> the call, the exception type and a regex the message must match.
Kinds: shape, dtype/type, nan/inf, empty, unsupported module, non-positive size, absurd size (cost would explode).
This table is the one home of refusals: the test_<module>.py files test behaviour (a boundary of a limit included),
never a refused argument. Every function, class and public method a module exports (its ``__all__``) needs a case.
Every call here is cheap: absurd sizes are refused before any allocation.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import random
import re

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

import relulab
from relulab import book, check, claims, erm, fits, lattice, piece_counts, plots, projection, prune, pwl, regions
from relulab import regions_nd, runtime, train
from relulab.data import bundled, ladder
from relulab.nets import classic, fc, local, teacher, zoo
from relulab.nets import dag as ndag
from relulab.nets import gated as ngated
from relulab.nets import gated_stack as gstack

from relulab.nets import conv_stack, gated_conv
from relulab import infinite_width
from relulab.paths import dag as pdag
from relulab.paths import enumeration, gated, lifting, pair_pass, sequential

# the modules of the functions relulab.paths.npk and relulab.paths.ntk
npk = importlib.import_module("relulab.paths.path_kernel")
ntk = importlib.import_module("relulab.paths.tangent_kernel")

NAN, INF = float("nan"), float("inf")


# ---------------------------------------------------------------- small fixtures (built once, cheap)


def _net(bias: bool = False) -> nn.Sequential:
    return fc.mlp([2, 3, 1], bias=bias, seed=0)


def _shared_relu() -> nn.Sequential:
    # one ReLU object in both gaps: the readers refuse any module used twice (a shared Linear would be tied weights)
    r = nn.ReLU()
    return nn.Sequential(nn.Linear(1, 2), r, nn.Linear(2, 2), r, nn.Linear(2, 1))


def _X(n: int = 4, d: int = 2) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def _record() -> claims.ClaimRecord:
    return claims.ClaimRecord("t.x", True, 1.0, 1.0, 0.1, "==", "failed as expected", 3.0, 20.0, "", "", "")


def _tiny_dag() -> pdag.DAG:
    return pdag.to_dag(fc.mlp([2, 2, 1], seed=0), (2,))


def _lad() -> ladder.Ladder:
    return ladder.ladder(4, [None, 3], seed=0)


def _tree() -> teacher.TreeNet:
    return teacher.TreeNet(2, 4, [3, 3], [2, 2], seed=0)


def _rnd() -> regions_nd.RegionsND:
    return regions_nd.regions_nd(fc.mlp([2, 2, 1], seed=0), (-1, 1, -1, 1))


def _tables_args() -> tuple:
    # input, target, events and weights of _tree() on every 4-pixel input, labelled by _lad()
    X = ladder.all_inputs(4)
    return ladder.one_hot(X), torch.zeros(16, 3, 1), _lad().events(X), torch.ones(16) / 16


def _tbl() -> projection.StudentTables:
    return projection.marginal_tables(_tree(), *_tables_args())


def _pwl() -> pwl.PWLNet:
    return pwl.pwl_1d([0.0], [1.0, -1.0], 0.0)


def _dgn():
    from relulab.nets.gated import DeepGatedNet

    return DeepGatedNet(fc.mlp([2, 3, 1], bias=False, seed=0), fc.mlp([2, 3, 1], bias=False, seed=1))


def _nan_net() -> nn.Sequential:
    net = _net()
    with torch.no_grad():
        net[0].weight[0, 0] = NAN
    return net


def _soft_dgn_nan():
    from relulab.nets.gated import DeepGatedNet

    return DeepGatedNet(_nan_net(), _net(), gate="soft")  # NaN feature weights: soft gates come out NaN


def _stack(modes=("relu", "hard"), bias: bool = True) -> gstack.GatedStack:
    w = [2, 3, 2]
    return gstack.GatedStack(
        list(modes),
        [fc.mlp(w, bias=bias, seed=s) for s in range(len(modes))],
        [None if m == "relu" else fc.mlp(w, bias=bias, seed=9) for m in modes],
        [False] * len(modes),
    )


class _Fwd(nn.Module):
    """A model whose forward is `fn(self, x)`, with submodules given by keyword (user-written forwards to refuse)."""

    def __init__(self, fn, **mods: nn.Module) -> None:
        super().__init__()
        self.fn = fn
        for k, m in mods.items():
            setattr(self, k, m)

    def forward(self, x):
        return self.fn(self, x)


class _Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(2))

    def forward(self, x):
        return x * self.scale


class _TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class _Branchy(nn.Module):
    def forward(self, x):
        if x.mean() > 0:  # data-dependent control flow
            return x
        return -x


def _labels(M: int = 2, n: int = 4) -> torch.Tensor:
    return torch.zeros(M, n, dtype=torch.long)


def _train(**kw):
    args = dict(stack=_stack(), X=_X(), Y=_labels(), epochs=1)
    args.update(kw)
    return gstack.train_stack(args.pop("stack"), args.pop("X"), args.pop("Y"), **args)


def _pair(**kw):
    net = _net()
    X = _X()
    G = sequential.gates(net, X)
    args = dict(model=net, h=X * X, G1=G, G2=G)
    args.update(kw)
    return pair_pass.pair_forward(args["model"], args["h"], args["G1"], args["G2"])


def _no_weight() -> nn.Sequential:
    lin = nn.Linear(2, 2)
    lin.register_parameter("weight", None)
    return nn.Sequential(lin)


def _cnet(**kw) -> gated_conv.ConvNet:
    args = dict(channels=(2,), dense=(3,), image=(1, 3, 3), seed=0, dtype=torch.float64)
    args.update(kw)
    return gated_conv.ConvNet(args.pop("channels"), args.pop("dense"), **args)


def _fit(**kw):
    args = dict(stack=conv_stack.ConvStack([_cnet()]), X=_img(), Y=torch.zeros(1, 2, dtype=torch.long),
                val=(_img(), torch.zeros(2, dtype=torch.long)), patience=1, max_epochs=1)
    args.update(kw)
    return conv_stack.fit_stack(args.pop("stack"), args.pop("X"), args.pop("Y"), **args)


def _img(n: int = 2) -> torch.Tensor:
    return torch.zeros(n, 1, 3, 3, dtype=torch.float64)


def _nan_X() -> torch.Tensor:
    X = _X()
    X[0, 0] = NAN
    return X


def _vgg() -> nn.Sequential:
    return ndag.randomize_batchnorm(ndag.vgg_like(1, (2, 2), 3, 4, seed=1), seed=2)


def _flipped(model: nn.Sequential) -> nn.Sequential:
    with torch.no_grad():
        model[0].weight[0].neg_()
    return model


def _nan_weight(model: nn.Sequential) -> nn.Sequential:
    with torch.no_grad():
        model[0].weight[0, 0] = NAN
    return model


CASES = [
    # ------------------------------------------------------------ claims
    ("verify.measured.nan", lambda: claims.verify("t.a", NAN, 0.0, 0.1, 5.0, display=False), ValueError, "measured"),
    (
        "verify.reference.shape",
        lambda: claims.verify("t.a", 0.0, [0.0, 1.0], 0.1, 5.0, display=False),
        TypeError,
        "reference",
    ),
    ("verify.control.type", lambda: claims.verify("t.a", 0.0, 0.0, 0.1, object(), display=False), TypeError, "control"),
    ("verify.tolerance.nan", lambda: claims.verify("t.a", 0.0, 0.0, NAN, 5.0, display=False), ValueError, "tolerance"),
    ("verify.tolerance.inf", lambda: claims.verify("t.a", 0.0, 0.0, INF, 5.0, display=False), ValueError, "tolerance"),
    (
        "verify.control_margin.nan",
        lambda: claims.verify("t.a", 0.0, 0.0, 0.1, 50.0, control_margin=NAN, display=False),
        ValueError,
        "control_margin",
    ),
    (
        "verify.control_margin.inf",
        lambda: claims.verify("t.a", 0.0, 0.0, 0.1, 50.0, control_margin=INF, display=False),
        ValueError,
        "control_margin",
    ),
    ("verify.claim_id.type", lambda: claims.verify(3, 0.0, 0.0, 0.1, 50.0, display=False), ValueError, "claim_id"),
    (
        "verify.quantity.type",
        lambda: claims.verify("t.a", 0.0, 0.0, 0.1, 50.0, quantity=3, display=False),
        TypeError,
        "quantity",
    ),
    (
        "verify.control_quantity.type",
        lambda: claims.verify("t.cq", 1.0, 1.0, 0.1, 50.0, control_quantity=3, display=False),
        TypeError,
        r"^control_quantity\b",
    ),
    (
        "verify.claim_id.empty",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "claim_id": "",
            }
        ),
        ValueError,
        "claim_id",
    ),
    (
        "verify.claim_id.space",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "claim_id": "has space",
            }
        ),
        ValueError,
        "claim_id",
    ),
    (
        "verify.measured.list",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "measured": [1.0, 2.0],
            }
        ),
        TypeError,
        "^measured must be a real number",
    ),
    # relulab.check.real, as everywhere (before: an own checker took bool, inf and one-element arrays)
    ("verify.measured.bool", lambda: claims.verify("t.a", True, 1.0, 0.1, 5.0, display=False), TypeError, "measured"),
    ("verify.tolerance.bool", lambda: claims.verify("t.a", 0.0, 0.0, True, 5.0, display=False), TypeError, "tolerance"),
    ("verify.measured.inf", lambda: claims.verify("t.a", INF, 0.0, 0.1, 5.0, display=False), ValueError, "measured"),
    ("verify.reference.inf", lambda: claims.verify("t.a", 0.0, -INF, 0.1, 5.0, display=False), ValueError, "reference"),
    ("verify.control.inf", lambda: claims.verify("t.a", 0.0, 0.0, 0.1, INF, display=False), ValueError, "control"),
    ("verify.note.type", lambda: claims.verify("t.a", 0.0, 0.0, 0.1, 5.0, note=3, display=False), TypeError, "note"),
    (
        "verify.measured.one_element",
        lambda: claims.verify("t.a", torch.tensor([0.0]), 0.0, 0.1, 5.0, display=False),
        TypeError,
        "^measured must be a real number",
    ),
    (
        "verify.narrowed.type",
        lambda: claims.verify("t.n", 1.0, 1.0, 0.1, 50.0, narrowed=3, display=False),
        TypeError,
        "narrowed",
    ),
    (
        "verify.measured.str",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "measured": "abc",
            }
        ),
        TypeError,
        "number",
    ),
    (
        "verify.tolerance.negative",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "tolerance": -1.0,
            }
        ),
        ValueError,
        "tolerance",
    ),
    (
        "verify.relation",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "relation": "=>",
            }
        ),
        ValueError,
        "relation",
    ),
    (
        "verify.control_margin.low",
        lambda: claims.verify(
            **{
                **dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False),
                "control_margin": 0.5,
            }
        ),
        ValueError,
        "control_margin",
    ),
    ("summary_line.type", lambda: claims.summary_line({"id": "x"}), TypeError, "rec"),
    ("records_in_notebook.type", lambda: claims.records_in_notebook(3), TypeError, "path"),
    (
        "records_in_notebook.missing",
        lambda: list(claims.records_in_notebook("/nonexistent/nb.ipynb")),
        FileNotFoundError,
        "path",
    ),
    ("records_in_notebook.not_json", lambda: list(claims.records_in_notebook(__file__)), ValueError, "path"),
    # ------------------------------------------------------------ runtime
    ("setup.seed.type", lambda: runtime.setup(1.5), TypeError, "seed"),
    ("setup.dtype.int", lambda: runtime.setup(0, dtype=torch.int64), TypeError, "dtype"),
    ("setup.threads.zero", lambda: runtime.setup(0, threads=0), ValueError, "threads"),
    ("setup.threads.type", lambda: runtime.setup(0, threads=1.5), TypeError, "threads"),
    ("setup.scale", lambda: runtime.setup(0, scale="huge"), ValueError, "scale"),
    ("setup.seed.negative", lambda: runtime.setup(-1), ValueError, "seed"),
    # ------------------------------------------------------------ train
    (
        "accuracy.X.type",
        lambda: train.accuracy(fc.mlp([2, 3, 2]), [[0.0, 1.0]], torch.zeros(1, dtype=torch.long)),
        TypeError,
        "X",
    ),
    (
        "accuracy.y.shape",
        lambda: train.accuracy(fc.mlp([2, 3, 2]), _X(4), torch.zeros(3, dtype=torch.long)),
        ValueError,
        "samples",
    ),
    (
        "accuracy.empty",
        lambda: train.accuracy(fc.mlp([2, 3, 2]), _X(0), torch.zeros(0, dtype=torch.long)),
        ValueError,
        "empty",
    ),
    (
        "accuracy.X.nan",
        lambda: train.accuracy(fc.mlp([2, 3, 2]), _nan_X(), torch.zeros(4, dtype=torch.long)),
        ValueError,
        "NaN",
    ),
    ("accuracy.model.type", lambda: train.accuracy("net", _X(4), torch.zeros(4, dtype=torch.long)), TypeError, "model"),
    (
        "train.X.nan",
        lambda: train.train(_net(), _nan_X(), torch.zeros(4), epochs=1, loss="mse", progress=False),
        ValueError,
        "NaN",
    ),
    (
        "train.empty",
        lambda: train.train(_net(), _X(0), torch.zeros(0), epochs=1, loss="mse", progress=False),
        ValueError,
        "empty",
    ),
    (
        "train.params.type",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, loss="mse", params=3, progress=False),
        TypeError,
        "^params must be a list or tuple",
    ),
    (
        "train.on_epoch",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, loss="mse", on_epoch=3, progress=False),
        TypeError,
        "^on_epoch must be callable",
    ),
    (
        "train.y.float_labels",
        lambda: train.train(fc.mlp([2, 3, 2]), _X(4), torch.zeros(4), epochs=1, progress=False),
        TypeError,
        "^y must hold integer class labels",
    ),
    (
        "train.model.type",
        lambda: train.train("net", _X(4), torch.zeros(4), epochs=1, loss="mse", progress=False),
        TypeError,
        "model",
    ),
    (
        "train.batch_size.type",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, batch_size=2.5, loss="mse", progress=False),
        TypeError,
        "batch_size",
    ),
    (
        "train.lr.nan",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, lr=NAN, loss="mse", progress=False),
        ValueError,
        "lr",
    ),
    (
        "train.lr.inf",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, lr=INF, loss="mse", progress=False),
        ValueError,
        "lr",
    ),
    (
        "train.y.nan",
        lambda: train.train(_net(), _X(4), torch.full((4,), NAN), epochs=1, loss="mse", progress=False),
        ValueError,
        "y",
    ),
    (
        "train.seed.type",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, seed=0.5, loss="mse", progress=False),
        TypeError,
        "seed",
    ),
    (
        "train.test.type",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, test=_X(4), loss="mse", progress=False),
        TypeError,
        "test",
    ),
    (
        "train.val.type",
        lambda: train.train(_net(), _X(4), torch.zeros(4, dtype=torch.long), epochs=1, val=_X(4), progress=False),
        TypeError,
        "val",
    ),
    (
        "train.val.mse",
        lambda: train.train(
            _net(), _X(4), torch.zeros(4), epochs=1, loss="mse", progress=False, val=(_X(4), torch.zeros(4))
        ),
        ValueError,
        "cross_entropy",
    ),
    (
        "train.patience.no_val",
        lambda: train.train(_net(), _X(4), torch.zeros(4), epochs=1, loss="mse", patience=2, progress=False),
        ValueError,
        "patience",
    ),
    (
        "train.patience.no_val.cross_entropy",
        lambda: train.train(fc.mlp([2, 3, 2]), _X(5), torch.zeros(5, dtype=torch.long), epochs=1, patience=2),
        ValueError,
        "val",
    ),
    (
        "train.patience.type",
        lambda: train.train(
            _net(),
            _X(4),
            torch.zeros(4, dtype=torch.long),
            epochs=1,
            patience=1.5,
            val=(_X(4), torch.zeros(4, dtype=torch.long)),
            progress=False,
        ),
        TypeError,
        "patience",
    ),
    # ------------------------------------------------------------ prune
    *[
        (
            f"train.{k}",
            lambda kw=kw: train.train(
                fc.mlp([2, 3, 2], seed=0), _X(5), torch.zeros(5, dtype=torch.long), **{"epochs": 1, **kw}
            ),
            ValueError,
            k,
        )
        for k, kw in [
            ("epochs", {"epochs": -1}),
            ("lr", {"lr": 0.0}),
            ("optimizer", {"optimizer": "lbfgs"}),
            ("loss", {"loss": "hinge"}),
            ("batch_size", {"batch_size": 0}),
        ]
    ],
    (
        "train.samples",
        lambda: train.train(fc.mlp([2, 3, 2]), _X(5), torch.zeros(4, dtype=torch.long), epochs=1),
        ValueError,
        "samples",
    ),
    ("random_scores.model.type", lambda: prune.random_scores("net", seed=0), TypeError, "model"),
    ("random_scores.seed", lambda: prune.random_scores(_net(), seed=-1), ValueError, "seed"),
    ("masked.masks.empty", lambda: prune.masked(_net(), {}), ValueError, "masks"),
    (
        "masked.masks.name",
        lambda: prune.masked(_net(), {"0.bias": torch.ones(3, dtype=torch.bool)}),
        ValueError,
        "masks",
    ),
    (
        "masked.masks.shape",
        lambda: prune.masked(_net(), {"0.weight": torch.ones(2, 3, dtype=torch.bool)}),
        ValueError,
        "masks",
    ),
    ("masked.masks.type", lambda: prune.masked(_net(), [torch.ones(3, 2)]), TypeError, "masks"),
    ("masked.model.type", lambda: prune.masked("net", {"0.weight": torch.ones(3, 2)}), TypeError, "model"),
    ("unmasked.model.type", lambda: prune.unmasked("net"), TypeError, "model"),
    ("sparsity.module", lambda: prune.sparsity(nn.Sequential(nn.Linear(2, 2), nn.Tanh())), TypeError, "Tanh"),
    # ------------------------------------------------------------ plots
    ("loglog_slope.nan", lambda: plots.loglog_slope([1.0, 2.0, NAN], [1.0, 2.0, 3.0]), ValueError, r"^x .*infinite"),
    ("loglog_slope.inf", lambda: plots.loglog_slope([1.0, 2.0, 3.0], [1.0, INF, 3.0]), ValueError, r"^y .*infinite"),
    ("loglog_slope.shape", lambda: plots.loglog_slope(np.ones((2, 2)), np.ones((2, 2))), ValueError, "1-dimensional"),
    ("loglog_slope.empty", lambda: plots.loglog_slope([], []), ValueError, "2 points"),
    ("loglog_slope.nonpositive", lambda: plots.loglog_slope([1.0, 0.0], [1.0, 2.0]), ValueError, "positive"),
    ("loglog_slope.type", lambda: plots.loglog_slope(["a", "b"], [1.0, 2.0]), TypeError, "x"),
    # ------------------------------------------------------------ data.bundled
    ("digits.dtype", lambda: bundled.digits(dtype=torch.int64), TypeError, "dtype"),
    ("digits.seed", lambda: bundled.digits(seed=-1), ValueError, "seed"),
    ("digits.test_fraction", lambda: bundled.digits(test_fraction=NAN), ValueError, "test_fraction"),
    ("mnist.dtype", lambda: bundled.mnist(dtype=torch.int64), TypeError, "dtype"),
    ("mnist.test_fraction", lambda: bundled.mnist(test_fraction=1.0), ValueError, "test_fraction"),
    ("gaussian_inputs.n.zero", lambda: bundled.gaussian_inputs(0, 2, seed=0), ValueError, "n"),
    ("gaussian_inputs.d.type", lambda: bundled.gaussian_inputs(3, 2.0, seed=0), TypeError, "d"),
    ("gaussian_inputs.dtype", lambda: bundled.gaussian_inputs(3, 2, seed=0, dtype=torch.int64), TypeError, "dtype"),
    ("gaussian_inputs.seed", lambda: bundled.gaussian_inputs(3, 2, seed="0"), TypeError, "seed"),
    ("gaussian_inputs.absurd", lambda: bundled.gaussian_inputs(10**6, 10**6, seed=0), ValueError, "n \\* d"),
    ("teacher_data.noise.nan", lambda: bundled.teacher_data(_net(), 5, seed=0, noise=NAN), ValueError, "noise"),
    ("teacher_data.noise.neg", lambda: bundled.teacher_data(_net(), 5, seed=0, noise=-1.0), ValueError, "noise"),
    ("teacher_data.teacher.type", lambda: bundled.teacher_data("net", 5, seed=0), TypeError, "teacher"),
    (
        "teacher_data.teacher.no_linear",
        lambda: bundled.teacher_data(nn.Sequential(nn.ReLU()), 5, seed=0),
        TypeError,
        "teacher",
    ),
    ("teacher_data.n.zero", lambda: bundled.teacher_data(_net(), 0, seed=0), ValueError, "n"),
    # ------------------------------------------------------------ data.ladder
    ("all_inputs.length.zero", lambda: ladder.all_inputs(0), ValueError, "length"),
    ("all_inputs.values.type", lambda: ladder.all_inputs(3, 2.0), TypeError, "values"),
    ("all_inputs.absurd", lambda: ladder.all_inputs(40), ValueError, r"^values \*\* length: 1,099,511,627,776 inputs"),
    (
        "product_distribution.shape",
        lambda: ladder.product_distribution(np.zeros((2, 3)), [0.5, 0.5]),
        ValueError,
        "p_one",
    ),
    (
        "product_distribution.nan",
        lambda: ladder.product_distribution(np.zeros((2, 2)), [0.5, NAN]),
        ValueError,
        "p_one",
    ),
    (
        "product_distribution.binary",
        lambda: ladder.product_distribution(np.full((2, 2), 2), [0.5, 0.5]),
        ValueError,
        "binary",
    ),
    ("product_distribution.empty", lambda: ladder.product_distribution(np.zeros((0, 2)), [0.5, 0.5]), ValueError, "X"),
    ("product_distribution.p_one.type", lambda: ladder.product_distribution(np.zeros((2, 2)), "ab"), TypeError,
     "^p_one"),
    (
        "product_distribution.p_one.boundary",
        lambda: ladder.product_distribution(ladder.all_inputs(3), np.array([0.0, 0.5, 0.5])),
        ValueError,
        "strictly inside",
    ),
    ("random_distribution.n.zero", lambda: ladder.random_distribution(0, seed=0), ValueError, "n"),
    (
        "random_distribution.concentration.nan",
        lambda: ladder.random_distribution(3, seed=0, concentration=NAN),
        ValueError,
        "concentration",
    ),
    (
        "random_distribution.concentration.inf",
        lambda: ladder.random_distribution(3, seed=0, concentration=INF),
        ValueError,
        "concentration",
    ),
    ("random_distribution.absurd", lambda: ladder.random_distribution(10**10, seed=0), ValueError, "n"),
    ("ladder.length.zero", lambda: ladder.ladder(0, [None]), ValueError, "length"),
    ("ladder.events.empty", lambda: ladder.ladder(4, []), ValueError, "events"),
    ("ladder.events.zero", lambda: ladder.ladder(4, [None, 0]), ValueError, "events\\[1\\]"),
    ("ladder.fan_in.type", lambda: ladder.ladder(4, [None, None], fan_in=2.0), TypeError, "fan_in"),
    ("ladder.absurd", lambda: ladder.ladder(16, [None] * 4, values=16), ValueError, "^events: [\\d,]+ joint child events"),
    ("ladder.fan_in.divides", lambda: ladder.ladder(6, [None, None]), ValueError, "fan_in"),
    ("ladder.events.exceeds", lambda: ladder.ladder(4, [5, None]), ValueError, "exceeds"),
    ("ladder.events.type", lambda: ladder.ladder(4, [2.5, None]), TypeError, "events"),
    ("Ladder.regions.level", lambda: _lad().regions(5), ValueError, "level"),
    ("Ladder.events.shape", lambda: _lad().events(np.zeros((3, 5), dtype=int)), ValueError, "X"),
    # the length is part of the shape check, before the symbols' range (was: after)
    (
        "Ladder.events.shape.first",
        lambda: _lad().events(np.full((3, 5), 2)),
        ValueError,
        r"^X must have shape \(\*, 4\)",
    ),
    ("Ladder.events.symbols", lambda: _lad().events(np.full((3, 4), 2)), ValueError, "X"),
    ("Ladder.events.float", lambda: _lad().events(np.full((3, 4), 0.5)), TypeError, "X"),
    ("Ladder.events.empty", lambda: _lad().events(np.zeros((0, 4), dtype=int)), ValueError, "X"),
    ("Ladder.labels.shape", lambda: _lad().labels(np.zeros(4, dtype=int)), ValueError, "X"),
    ("one_hot.shape", lambda: ladder.one_hot(np.zeros(3, dtype=int)), ValueError, "X"),
    ("one_hot.float", lambda: ladder.one_hot(np.full((2, 2), 0.5)), TypeError, "X"),
    # non-integer symbols are a wrong type whatever the shape (check.codes tests the type first; was: the shape)
    ("one_hot.float.shape", lambda: ladder.one_hot(np.full(3, 0.5)), TypeError, "^X must hold integer symbols;"),
    ("one_hot.empty", lambda: ladder.one_hot(np.zeros((0, 2), dtype=int)), ValueError, "X"),
    ("one_hot.values", lambda: ladder.one_hot(np.zeros((2, 2), dtype=int), values=1), ValueError, "values"),
    ("one_hot.symbols", lambda: ladder.one_hot(np.array([[0, 2]])), ValueError, "symbols"),
    (
        "factorised_events.binary",
        lambda: ladder.factorised_events(np.full((2, 2), 2), [[0], [1]]),
        ValueError,
        "X must hold symbols in \\[0, 2\\)",
    ),
    (
        "factorised_events.groups",
        lambda: ladder.factorised_events(np.zeros((2, 2), dtype=int), []),
        ValueError,
        "groups",
    ),
    ("factorised_events.shape", lambda: ladder.factorised_events(np.zeros(2, dtype=int), [[0]]), ValueError, "X"),
    ("factorised_events.float", lambda: ladder.factorised_events(np.full((2, 2), 0.5), [[0]]), TypeError, "X"),
    ("factorised_events.groups.type", lambda: ladder.factorised_events(np.zeros((2, 2), dtype=int), 5), TypeError, "groups"),
    ("factorised_events.group.type", lambda: ladder.factorised_events(np.zeros((2, 2), dtype=int), [1]), TypeError, r"groups\[0\]"),
    (
        "factorised_events.absurd",
        lambda: ladder.factorised_events(np.zeros((2, 70), dtype=int), [list(range(70))]),
        ValueError,
        "groups",
    ),
    (
        "factorised_events.overlap",
        lambda: ladder.factorised_events(ladder.all_inputs(6), [[0, 1], [1, 2]]),
        ValueError,
        "disjoint",
    ),
    ("pattern_index.symbols", lambda: ladder.pattern_index(np.full((2, 2), 3), [0, 1]), ValueError, "values"),
    (
        "pattern_index.positions",
        lambda: ladder.pattern_index(np.zeros((2, 2), dtype=int), [5]),
        ValueError,
        "positions",
    ),
    ("pattern_index.float", lambda: ladder.pattern_index(np.full((2, 2), 0.5), [0]), TypeError, "X"),
    ("pattern_index.positions.type", lambda: ladder.pattern_index(np.zeros((2, 2), dtype=int), 5), TypeError, "positions"),
    (
        "pattern_index.values",
        lambda: ladder.pattern_index(np.zeros((2, 2), dtype=int), [0], values=0),
        ValueError,
        "values",
    ),
    (
        "pattern_index.absurd",
        lambda: ladder.pattern_index(np.zeros((2, 70), dtype=int), list(range(70))),
        ValueError,
        "positions",
    ),
    # ------------------------------------------------------------ erm
    ("count_dichotomies_bound.D", lambda: erm.count_dichotomies_bound(0, 2), ValueError, "D"),
    ("count_dichotomies_bound.n", lambda: erm.count_dichotomies_bound(3, -1), ValueError, "n"),
    ("count_dichotomies_bound.type", lambda: erm.count_dichotomies_bound(3.5, 1), TypeError, "D"),
    ("count_programs.width", lambda: erm.count_programs(3, 1, 0), ValueError, "width"),
    ("arrangement.nan", lambda: erm.arrangement(np.array([[0.0], [NAN]])), ValueError, "NaN"),
    ("arrangement.empty", lambda: erm.arrangement(np.zeros((0, 1))), ValueError, "empty"),
    ("arrangement.shape", lambda: erm.arrangement(np.zeros((2, 2, 2))), ValueError, "shape"),
    ("arrangement.dtype", lambda: erm.arrangement(np.array([["a"], ["b"]])), TypeError, "real"),
    (
        "arrangement.absurd",
        lambda: erm.arrangement(np.random.default_rng(0).normal(size=(400, 4))),
        ValueError,
        "subsets",
    ),
    ("exact_erm.X.shape", lambda: erm.exact_erm(np.zeros((2, 2, 2)), np.zeros(2), 1), ValueError, "shape"),
    ("exact_erm.y.inf", lambda: erm.exact_erm(np.zeros((2, 1)), np.array([0.0, INF]), 1), ValueError, "y"),
    ("exact_erm.y.dtype", lambda: erm.exact_erm(np.zeros((2, 1)), np.array(["a", "b"]), 1), TypeError, "y"),
    ("exact_erm.signs", lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, signs=(2,)), ValueError, "signs"),
    ("exact_erm.signs.type", lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, signs=5), TypeError, "signs"),
    (
        "exact_erm.max_programs",
        lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, max_programs=0),
        ValueError,
        "^max_programs must be >= 1",
    ),
    # max_programs is checked at entry (before: 1.5 was taken and "a" gave "'>' not supported")
    (
        "exact_erm.max_programs.float",
        lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, max_programs=1.5),
        TypeError,
        "^max_programs",
    ),
    (
        "exact_erm.max_programs.str",
        lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, max_programs="a"),
        TypeError,
        "^max_programs",
    ),
    (
        "exact_erm.max_programs.budget",
        lambda: erm.exact_erm(np.zeros((2, 1)), np.zeros(2), 1, max_programs=1),
        ValueError,
        r"^max_programs: 8 convex programs .* exceed the budget of 1;",
    ),
    ("exact_erm.width.zero", lambda: erm.exact_erm(np.zeros((4, 1)), np.zeros(4), 0), ValueError, "width must be >= 1"),
    (
        "exact_erm.width.type",
        lambda: erm.exact_erm(np.zeros((4, 1)), np.zeros(4), 1.5),
        TypeError,
        "width must be an int",
    ),
    ("exact_erm.y.shape", lambda: erm.exact_erm(np.zeros((4, 1)), np.zeros(3), 1), ValueError, "y must have shape"),
    ("exact_erm.empty", lambda: erm.exact_erm(np.zeros((0, 1)), np.zeros(0), 1), ValueError, "empty"),
    (
        "exact_erm.loss",
        lambda: erm.exact_erm(np.zeros((4, 1)), np.zeros(4), 1, loss="hinge"),
        ValueError,
        "loss must be one of",
    ),
    (
        "exact_erm.absurd",
        lambda: erm.exact_erm(np.random.default_rng(0).normal(size=(200, 3)), np.zeros(200), 3),
        ValueError,
        r"^max_programs: [\d,]+ convex programs .* exceed the budget of 1,000,000;",
    ),
    # relulab.check.array (before: an own checker refused lists and bool arrays, took zero columns)
    ("exact_erm.X.complex", lambda: erm.exact_erm(np.array([[1j], [0]]), np.zeros(2), 1), TypeError, r"^X .*real"),
    ("exact_erm.X.no_columns", lambda: erm.exact_erm(np.zeros((3, 0)), np.zeros(3), 1), ValueError, "^X is empty"),
    ("exact_erm.y.list", lambda: erm.exact_erm([[0.0], [1.0]], [0.0], 1), ValueError, "^y must have shape"),
    (
        "ERMResult.predict.names_X",
        lambda: erm.exact_erm(np.array([[0.0], [1.0]]), np.zeros(2), 1).predict(np.zeros((2, 3))),
        ValueError,
        "^X ",
    ),
    (
        "ERMResult.predict.shape",
        lambda: erm.exact_erm(np.array([[0.0], [1.0]]), np.zeros(2), 1).predict(np.zeros((2, 3))),
        ValueError,
        "columns",
    ),
    # ------------------------------------------------------------ nets.fc / local / teacher / dag
    ("mlp.widths.zero", lambda: fc.mlp([2, 0, 1]), ValueError, "widths\\[1\\]"),
    ("mlp.widths.type", lambda: fc.mlp(3), TypeError, "widths"),
    ("mlp.init", lambda: fc.mlp([2, 1], init="xavier"), ValueError, "init"),
    ("mlp.dtype", lambda: fc.mlp([2, 1], dtype=torch.int64), TypeError, "dtype"),
    ("mlp.seed", lambda: fc.mlp([2, 1], seed=1.5), TypeError, "seed"),
    ("mlp.absurd", lambda: fc.mlp([10**5, 10**5, 10**5]), ValueError, "parameters"),
    # the one parameter budget of relulab.nets (nets.fc's own check_parameter_budget is gone): the count in full
    (
        "mlp.absurd.count",
        lambda: fc.mlp([10**5, 10**5, 10**5]),
        ValueError,
        r"^mlp\(widths=\[100000, 100000, 100000\]\): 20,000,200,000 parameters exceed the budget of 1,000,000,000;",
    ),
    ("mlp.widths.single", lambda: fc.mlp([3]), ValueError, "widths"),
    ("mlp.widths.negative", lambda: fc.mlp([3, -2, 1]), ValueError, "widths"),
    ("mlp.widths.float", lambda: fc.mlp([3, 2.5, 1]), TypeError, "widths"),
    ("mlp.widths.str", lambda: fc.mlp("32"), TypeError, "widths"),
    (
        "mlp_widths.module",
        lambda: fc.mlp_widths(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))),
        TypeError,
        "Tanh",
    ),
    ("LocallyConnected1d.zero", lambda: local.LocallyConnected1d(0, 2, 4, 2), ValueError, "in_channels"),
    ("LocallyConnected1d.type", lambda: local.LocallyConnected1d(1, 2, 4, 2.0), TypeError, "kernel_size"),
    ("LocallyConnected1d.absurd", lambda: local.LocallyConnected1d(10**4, 10**4, 10**4, 1), ValueError, "parameters"),
    ("LocallyConnected1d.kernel_size", lambda: local.LocallyConnected1d(1, 1, 3, 4), ValueError, "kernel_size"),
    ("LocallyConnected1d.out_channels", lambda: local.LocallyConnected1d(1, 0, 3, 2), ValueError, "out_channels"),
    ("LocallyConnected1d.stride", lambda: local.LocallyConnected1d(1, 2, 4, 2, 0), ValueError, "stride"),
    (
        "LocallyConnected1d.forward.shape",
        lambda: local.LocallyConnected1d(1, 2, 4, 2)(torch.zeros(3, 1, 5)),
        ValueError,
        "shape",
    ),
    (
        "LocallyConnected1d.forward.dtype",
        lambda: local.LocallyConnected1d(1, 2, 4, 2)(torch.zeros(3, 1, 4, dtype=torch.long)),
        TypeError,
        "x",
    ),
    (
        "LocallyConnected1d.receptive_field",
        lambda: local.LocallyConnected1d(1, 2, 4, 2).receptive_field(2),
        ValueError,
        "position",
    ),
    ("NodeBatchNorm.eps.nan", lambda: teacher.NodeBatchNorm(NAN), ValueError, "eps"),
    ("NodeBatchNorm.eps.negative", lambda: teacher.NodeBatchNorm(-1.0), ValueError, "eps"),
    ("NodeBatchNorm.forward.one", lambda: teacher.NodeBatchNorm()(torch.zeros(1, 2)), ValueError, "at least 2"),
    (
        "NodeBatchNorm.weights.neg",
        lambda: teacher.NodeBatchNorm(weights=torch.tensor([1.0, -1.0])),
        ValueError,
        "weights",
    ),
    (
        "NodeBatchNorm.forward.weights",
        lambda: teacher.NodeBatchNorm(weights=torch.ones(3))(torch.randn(4, 2)),
        ValueError,
        "weights",
    ),
    ("Dense1d.zero", lambda: teacher.Dense1d(0, 2, 4, 1), ValueError, "in_channels"),
    ("Dense1d.type", lambda: teacher.Dense1d(1, 2, 4.0, 1), TypeError, "in_length"),
    ("Dense1d.absurd", lambda: teacher.Dense1d(10**3, 10**3, 10**3, 10**3), ValueError, "parameters"),
    ("Dense1d.forward.shape", lambda: teacher.Dense1d(1, 2, 4, 1)(torch.zeros(3, 1, 5)), ValueError, "shape"),
    ("TreeNet.lengths", lambda: teacher.TreeNet(2, 4, [3], [2, 2]), ValueError, "same non-zero length"),
    ("TreeNet.width.zero", lambda: teacher.TreeNet(2, 4, [0, 3], [2, 2]), ValueError, "out_channels"),
    ("TreeNet.eps", lambda: teacher.TreeNet(2, 4, [3, 3], [2, 2], batch_norm=True, eps=-1.0), ValueError, "eps"),
    ("TreeNet.densify.index", lambda: _tree().densify(5), ValueError, "index"),
    ("TreeNet.edge_weight.layer", lambda: _tree().edge_weight(5, 0, 0), ValueError, "layer"),
    ("TreeNet.edge_weight.t", lambda: _tree().edge_weight(0, 9, 0), ValueError, "position"),
    ("TreeNet.edge_weight.s", lambda: _tree().edge_weight(0, 0, 3), ValueError, "not in the window"),
    ("TreeNet.trace.target", lambda: _tree().trace(torch.zeros(3, 2, 4), torch.zeros(3, 3, 2)), ValueError, "target"),
    (
        "TreeNet.trace.weights",
        lambda: _tree().trace(torch.zeros(3, 2, 4), torch.zeros(3, 3, 1), torch.ones(2)),
        ValueError,
        "weights",
    ),
    ("TreeNet.forward.shape", lambda: _tree()(torch.zeros(3, 2, 5)), ValueError, "shape"),
    ("Residual.type", lambda: ndag.Residual("body"), TypeError, r"^Residual: body\b"),
    ("Concat.empty", lambda: ndag.Concat(), TypeError, "branch"),
    ("upsample2x.zero", lambda: ndag.upsample2x(0), ValueError, "channels"),
    ("randomize_batchnorm.type", lambda: ndag.randomize_batchnorm("net", seed=0), TypeError, "model"),
    (
        "randomize_batchnorm.spread",
        lambda: ndag.randomize_batchnorm(ndag.vgg_like(seed=0), seed=0, spread=NAN),
        ValueError,
        "spread",
    ),
    ("randomize_batchnorm.seed", lambda: ndag.randomize_batchnorm(ndag.vgg_like(seed=0), seed=0.5), TypeError, "seed"),
    ("vgg_like.zero", lambda: ndag.vgg_like(1, (3, 0)), ValueError, r"widths\[1\]"),
    ("vgg_like.image", lambda: ndag.vgg_like(1, (3, 4), image=6), ValueError, "image"),
    ("vgg_like.absurd", lambda: ndag.vgg_like(1, (10**5, 10**5)), ValueError, "parameters"),
    ("basic_block.zero", lambda: ndag.basic_block(0, 2), ValueError, "cin"),
    ("basic_block.stride", lambda: ndag.basic_block(2, 2, 0), ValueError, "stride"),
    ("basic_block.cout", lambda: ndag.basic_block(2, 0), ValueError, "cout"),
    ("resnet_like.zero", lambda: ndag.resnet_like(1, 0), ValueError, "width"),
    ("resnet_like.absurd", lambda: ndag.resnet_like(1, 10**5), ValueError, "parameters"),
    ("unet_like.type", lambda: ndag.unet_like(1, 2.0), TypeError, "int"),
    ("unet_like.absurd", lambda: ndag.unet_like(1, 10**5), ValueError, "parameters"),
    ("resnet18.zero", lambda: ndag.resnet18(0), ValueError, "n_classes"),
    ("resnet18.absurd", lambda: ndag.resnet18(width=10**4), ValueError, "parameters"),
    ("enumerable_nets.width", lambda: zoo.enumerable_nets(seed=0, width=3), ValueError, "width"),
    ("enumerable_nets.seed", lambda: zoo.enumerable_nets(seed=0.5), TypeError, "seed"),
    ("mnist_resnet.width", lambda: zoo.mnist_resnet(0, seed=0), ValueError, "width"),
    ("mnist_resnet.hidden.type", lambda: zoo.mnist_resnet(4, 2.5, seed=0), TypeError, "hidden"),
    ("digits_cnn.seed", lambda: zoo.digits_cnn(4, seed=-1), ValueError, "seed"),
    ("digits_cnn.width", lambda: zoo.digits_cnn(0, seed=0), ValueError, "width"),
    ("enumerable_nets.resnet_side", lambda: zoo.enumerable_nets(seed=0, resnet_side=5), ValueError, "resnet_side"),
    ("mnist_resnet.hidden.zero", lambda: zoo.mnist_resnet(4, 0, seed=0), ValueError, "hidden"),
    ("mnist_resnet.hidden.big", lambda: zoo.mnist_resnet(4, 4097, seed=0), ValueError, "hidden"),
    # ------------------------------------------------------------ paths.sequential / enumeration / npk / ntk
    (
        "linear_layers.module",
        lambda: sequential.linear_layers(nn.Sequential(nn.Linear(2, 2), nn.GELU(), nn.Linear(2, 1))),
        TypeError,
        "GELU",
    ),
    ("linear_layers.empty", lambda: sequential.linear_layers(nn.Sequential()), ValueError, "no layers"),
    ("linear_layers.shared", lambda: sequential.linear_layers(_shared_relu()), ValueError, "appears twice"),
    ("as_input.shape", lambda: sequential.as_input(_net(), torch.zeros(3)), ValueError, "X"),
    ("as_input.dtype", lambda: sequential.as_input(_net(), torch.zeros(3, 2, dtype=torch.float32)), TypeError, "X"),
    ("as_input.nan", lambda: sequential.as_input(_net(), _nan_X()), ValueError, "X contains NaN"),
    ("as_input.empty", lambda: sequential.as_input(_net(), _X(0)), ValueError, "empty"),
    # numpy inputs are refused like everywhere else (they were converted here only)
    ("as_input.numpy", lambda: sequential.as_input(_net(), _X().numpy()), TypeError, r"convert with torch\.as_tensor"),
    ("gates.numpy", lambda: sequential.gates(_net(), _X().numpy()), TypeError, r"^X must be a torch\.Tensor"),
    ("npf.numpy", lambda: enumeration.npf(_net(), _X().numpy()), TypeError, r"^X must be a torch\.Tensor"),
    ("preactivations.empty", lambda: sequential.preactivations(_net(), _X(0)), ValueError, "empty"),
    ("preactivations.X.features", lambda: sequential.preactivations(_net(), _X(3, 3)), ValueError, "X"),
    (
        "preactivations.model.type",
        lambda: sequential.preactivations(nn.Linear(2, 1), _X()),
        TypeError,
        r"^preactivations needs an nn.Sequential",
    ),
    ("gates.inf", lambda: sequential.gates(_net(), _X() / 0), ValueError, "infinite"),
    ("gates.model", lambda: sequential.gates(nn.Linear(2, 1), _X()), TypeError, r"^gates needs an nn\.Sequential"),
    ("count_paths.module", lambda: enumeration.count_paths(nn.Linear(2, 1)), TypeError, "Sequential"),
    (
        "enumerate_paths.absurd",
        lambda: enumeration.enumerate_paths(fc.mlp([10**3, 10**3, 10**3, 1], bias=False)),
        ValueError,
        "paths",
    ),
    ("enumerate_paths.max_paths", lambda: enumeration.enumerate_paths(_net(), max_paths=0), ValueError, "^max_paths must be >= 1"),
    (
        "enumerate_paths.max_paths.float",
        lambda: enumeration.enumerate_paths(_net(), max_paths=10.0),
        TypeError,
        "^max_paths",
    ),
    (
        "enumerate_paths.max_paths.budget",
        lambda: enumeration.enumerate_paths(_net(), max_paths=5),
        ValueError,
        "^max_paths: 6 paths .* exceed the budget of 5;",
    ),
    ("enumerate_paths.bias", lambda: enumeration.enumerate_paths(_net(bias=True)), ValueError, "bias"),
    (
        "enumerate_paths.absurd.count",
        lambda: enumeration.enumerate_paths(fc.mlp([100, 64, 64, 64, 1], bias=False, seed=0)),
        ValueError,
        "26,214,400 paths",
    ),
    *[
        (
            f"{f.__name__}.activation.{type(a).__name__}",
            lambda f=f, args=args, a=a: f(
                nn.Sequential(nn.Linear(2, 3, bias=False), a, nn.Linear(3, 1, bias=False)), *args
            ),
            TypeError,
            type(a).__name__,
        )
        for f, args in ((npk.npk, (_X(),)), (enumeration.enumerate_paths, ()))
        for a in (nn.Sigmoid(), nn.GELU(), nn.Tanh())
    ],
    (
        "npv_from_weights.empty",
        lambda: enumeration.npv_from_weights([], torch.zeros(1, 2, dtype=torch.long)),
        ValueError,
        "weights",
    ),
    (
        "npv_from_weights.chain",
        lambda: enumeration.npv_from_weights([torch.ones(3, 2), torch.ones(1, 4)], torch.zeros(1, 2, dtype=torch.long)),
        ValueError,
        "weights",
    ),
    (
        "npv_from_weights.paths.dtype",
        lambda: enumeration.npv_from_weights([torch.ones(3, 2), torch.ones(1, 3)], torch.zeros(1, 2)),
        TypeError,
        "paths",
    ),
    (
        "npv_from_weights.paths.shape",
        lambda: enumeration.npv_from_weights([torch.ones(3, 2), torch.ones(1, 3)], torch.zeros(1, 3, dtype=torch.long)),
        ValueError,
        "paths",
    ),
    (
        "npv_from_weights.paths.range",
        lambda: enumeration.npv_from_weights([torch.ones(3, 2), torch.ones(1, 3)], torch.tensor([[0, 3]])),
        ValueError,
        "paths",
    ),
    (
        "npv_from_weights.nan",
        lambda: enumeration.npv_from_weights([torch.full((3, 2), NAN), torch.ones(1, 3)], torch.tensor([[0, 1]])),
        ValueError,
        "weights",
    ),
    (
        "npv_from_weights.weights.int",
        lambda: enumeration.npv_from_weights(
            [torch.ones(3, 2, dtype=torch.long), torch.ones(1, 3)], torch.tensor([[0, 1]])
        ),
        TypeError,
        r"weights\[0\]",
    ),
    (
        "npv_from_weights.weights.tensor",
        lambda: enumeration.npv_from_weights(torch.ones(3, 2), torch.tensor([[0, 1]])),
        TypeError,
        "weights",
    ),
    ("npv.bias.with_paths", lambda: enumeration.npv(_net(bias=True), torch.tensor([[0, 0]])), ValueError, "bias"),
    ("npv.bias", lambda: enumeration.npv(_net(bias=True)), ValueError, "bias"),
    ("npf.bias", lambda: enumeration.npf(_net(bias=True), _X()), ValueError, "bias"),
    ("npk.bias", lambda: npk.npk(_net(bias=True), _X()), ValueError, "bias"),
    ("path_ntk.bias", lambda: ntk.path_ntk(_net(bias=True), _X()), ValueError, "bias"),
    ("path_ntk.weights.nan", lambda: ntk.path_ntk(_nan_net(), _X()), ValueError, r"weights\[0\].*NaN"),
    ("npk.model.linear", lambda: npk.npk(nn.Linear(2, 1, bias=False), _X(3)), TypeError, "nn.Sequential"),
    (
        "npk.model.last_relu",
        lambda: npk.npk(nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU()), _X(3)),
        TypeError,
        "last layer",
    ),
    (
        "npk.model.chain",
        lambda: npk.npk(nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False)), _X(3)),
        ValueError,
        "feeds",
    ),
    # one batch X, bad in each way, for npk and npf alike (their NaN cases are npk.X1.nan and npf.X.nan)
    *[
        (f"{f.__name__}.X.{kind}", lambda f=f, X=X: f(_net(), X()), exc, match)
        for f in (npk.npk, enumeration.npf)
        for kind, X, exc, match in [
            ("features", lambda: _X(4, 3), ValueError, "features"),
            ("1d", lambda: torch.randn(4), ValueError, "shape"),
            ("empty", lambda: _X(0), ValueError, "empty"),
            ("inf", lambda: torch.tensor([[INF, 0.0]]), ValueError, "infinite"),
            ("int", lambda: torch.ones(3, 2, dtype=torch.int64), TypeError, "floating"),
            ("float32", lambda: torch.ones(3, 2, dtype=torch.float32), TypeError, "dtype"),
            ("list", lambda: [[1.0, 2.0]], TypeError, "Tensor"),
        ]
    ],
    ("npv.paths.range", lambda: enumeration.npv(_net(), torch.tensor([[5, 0]])), ValueError, "paths"),
    ("npf.paths.shape", lambda: enumeration.npf(_net(), _X(), torch.tensor([[0, 0, 0]])), ValueError, "paths"),
    ("npf.X.nan", lambda: enumeration.npf(_net(), _nan_X()), ValueError, "NaN"),
    (
        "output_from_paths.bias",
        lambda: enumeration.output_from_paths(_net(bias=True), _X()),
        ValueError,
        r"^output_from_paths\b.*bias",
    ),
    (
        "npk_from_gates.X.shape",
        lambda: npk.npk_from_gates(_X(4, 2), [torch.ones(4, 2)], _X(3, 3), [torch.ones(3, 2)]),
        ValueError,
        "X2",
    ),
    (
        "npk_from_gates.G.rows",
        lambda: npk.npk_from_gates(_X(4), [torch.ones(1, 2)], _X(3), [torch.ones(3, 2)]),
        ValueError,
        "G1",
    ),
    (
        "npk_from_gates.X.nan",
        lambda: npk.npk_from_gates(_nan_X(), [torch.ones(4, 2)], _X(3), [torch.ones(3, 2)]),
        ValueError,
        "X1",
    ),
    (
        "npk_from_gates.G.nan",
        lambda: npk.npk_from_gates(_X(4), [torch.full((4, 2), NAN)], _X(3), [torch.ones(3, 2)]),
        ValueError,
        "G1",
    ),
    (
        "npk_from_gates.X.type",
        lambda: npk.npk_from_gates([[1.0]], [torch.ones(1, 2)], _X(3), [torch.ones(3, 2)]),
        TypeError,
        "X1",
    ),
    (
        "npk_from_gates.empty",
        lambda: npk.npk_from_gates(_X(0), [torch.ones(0, 2)], _X(3), [torch.ones(3, 2)]),
        ValueError,
        "X1",
    ),
    ("npk_from_gates.depth", lambda: npk.npk_from_gates(_X(4), [torch.ones(4, 2)], _X(3), []), ValueError, "depths"),
    ("npk_from_gates.G1.type", lambda: npk.npk_from_gates(_X(4), 5, _X(3), []), TypeError, "G1"),
    ("npk_from_gates.G2.type", lambda: npk.npk_from_gates(_X(4), [torch.ones(4, 2)], _X(3), None), TypeError, "G2"),
    (
        "npk_from_gates.X1.3d",  # would broadcast into a (3, 2, 4) "Gram matrix"
        lambda: npk.npk_from_gates(torch.ones(3, 2, 2), [torch.ones(3, 5)], torch.ones(4, 2), [torch.ones(4, 5)]),
        ValueError,
        "X1",
    ),
    (
        "npk_from_gates.G.list",
        lambda: npk.npk_from_gates(_X(3), [[[1.0, 0.0]] * 3], _X(3), [torch.ones(3, 2)]),
        TypeError,
        r"G1\[0\]",
    ),
    (
        "npk_from_gates.G.list.message",
        lambda: npk.npk_from_gates(torch.ones(4, 2), [[1.0]], torch.ones(3, 2), [torch.ones(3, 3)]),
        TypeError,
        r"^G1\[0\] must be a torch.Tensor, got list",
    ),
    (
        "npk_from_gates.G.widths",
        lambda: npk.npk_from_gates(torch.ones(4, 2), [torch.ones(4, 2)], torch.ones(3, 2), [torch.ones(3, 3)]),
        ValueError,
        r"layer 0: gate widths differ \(2 vs 3\)",
    ),
    (
        "npk_regression.bias",
        lambda: npk.npk_regression(_net(bias=True), _X(), torch.ones(4), _X()),
        ValueError,
        r"^npk_regression\b.*bias",
    ),
    (
        "npk_regression.X.nan",
        lambda: npk.npk_regression(_net(), _nan_X(), torch.ones(4), _X()),
        ValueError,
        r"^X contains NaN",
    ),
    (
        "npk_regression.X_test.shape",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(3, 3)),
        ValueError,
        r"^X_test has 3 features",
    ),
    (
        "npk_regression.y.rows",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(3), _X()),
        ValueError,
        r"^y has 3 rows",
    ),
    (
        "npk_regression.y.type",
        lambda: npk.npk_regression(_net(), _X(), [1.0] * 4, _X()),
        TypeError,
        r"^y must be a torch.Tensor",
    ),
    (
        "npk_regression.y.nan",
        lambda: npk.npk_regression(_net(), _X(), torch.full((4,), NAN), _X()),
        ValueError,
        r"^y contains NaN",
    ),
    (
        "npk_regression.y.ndim",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4, 1, 1), _X()),
        ValueError,
        r"^y must have 1 or 2 dimensions",
    ),
    (
        "npk_regression.constant",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), constant=-1.0),
        ValueError,
        r"^constant must be > 0",
    ),
    (
        "npk_regression.lr.alone",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), lr=0.1),
        ValueError,
        "lr",
    ),
    (
        "npk_regression.lr.zero",  # lr = 0 would train nothing and return zeros
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), lr=0.0, steps=10),
        ValueError,
        "lr",
    ),
    (
        "npk_regression.y.float32",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4, dtype=torch.float32), _X()),
        TypeError,
        "y",
    ),
    (
        "npk_regression.lr.nan",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), lr=NAN, steps=3),
        ValueError,
        r"^lr must be finite",
    ),
    (
        "npk_regression.steps.type",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), lr=0.1, steps=2.0),
        TypeError,
        r"^steps must be an int",
    ),
    (
        "npk_regression.steps.negative",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), lr=0.1, steps=-1),
        ValueError,
        r"^steps must be >= 0",
    ),
    (
        "npk_regression.constant.zero",
        lambda: npk.npk_regression(_net(), _X(), torch.ones(4), _X(), constant=0.0),
        ValueError,
        "constant",
    ),
    ("npk.X2.shape", lambda: npk.npk(_net(), _X(), _X(3, 3)), ValueError, "X2"),
    (
        "npk.module",
        lambda: npk.npk(nn.Sequential(nn.Linear(2, 2, bias=False), nn.Sigmoid(), nn.Linear(2, 1, bias=False)), _X()),
        TypeError,
        "Sigmoid",
    ),
    ("ntk.model.type", lambda: ntk.ntk("net", _X()), TypeError, "model"),
    ("ntk.X.shape", lambda: ntk.ntk(_net(), torch.zeros(4)), ValueError, "X1"),
    ("ntk.output.range", lambda: ntk.ntk(fc.mlp([2, 3, 2], seed=0), _X(), output=5), ValueError, "output"),
    ("ntk.X2.nan", lambda: ntk.ntk(_net(), _X(), _nan_X()), ValueError, "X2"),
    ("ntk.output.missing", lambda: ntk.ntk(fc.mlp([2, 3, 2], bias=False, seed=0), _X(3)), ValueError, "output"),
    (
        "ntk.params.unknown",
        lambda: ntk.ntk(fc.mlp([2, 3, 2], bias=False, seed=0), _X(3), params=["nope"], output=0),
        ValueError,
        "unknown",
    ),
    ("ntk.params.int", lambda: ntk.ntk(_net(), _X(), params=5), TypeError, r"^params must be a list or tuple"),
    # a str was split into characters ("unknown or frozen parameter names ['0', '.', ...]")
    ("ntk.params.str", lambda: ntk.ntk(_net(), _X(), params="0.weight"), TypeError, r"^params must be a list or tuple"),
    ("ntk.params.entry", lambda: ntk.ntk(_net(), _X(), params=["0.weight", 1]), TypeError,
     r"^params\[1\] must be a str"),
    ("ntk.X.empty", lambda: ntk.ntk(fc.mlp([2, 3, 2], bias=False, seed=0), _X(0), output=0), ValueError, "empty"),
    ("path_ntk.outputs", lambda: ntk.path_ntk(fc.mlp([2, 3, 2], bias=False), _X()), ValueError, "one output"),
    ("path_ntk.X.empty", lambda: ntk.path_ntk(_net(), _X(0)), ValueError, "empty"),
    ("path_ntk.X2.features", lambda: ntk.path_ntk(_net(), _X(), _X(3, 3)), ValueError, "X2"),
    ("path_ntk.model.type", lambda: ntk.path_ntk(nn.Linear(2, 1), _X()), TypeError, r"^path_ntk needs an nn.Sequential"),
    # ------------------------------------------------------------ paths.lifting
    ("check_supported.type", lambda: lifting.check_supported("net"), TypeError, "model"),
    (
        "check_supported.module",
        lambda: lifting.check_supported(nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU())),
        TypeError,
        "LeakyReLU",
    ),
    (
        "check_supported.dropout",
        lambda: lifting.check_supported(nn.Sequential(nn.Linear(2, 2), nn.Dropout()).train()),
        ValueError,
        "Dropout",
    ),
    ("path_norm.input_shape.mismatch", lambda: lifting.path_norm(_net(), (3,)), ValueError, "input_shape"),
    ("path_norm.q.nan", lambda: lifting.path_norm(_net(), (2,), q=NAN), ValueError, "q must be"),
    ("path_norm.q.type", lambda: lifting.path_norm(_net(), (2,), q="1"), TypeError, "q must be"),
    ("path_norm.input_shape.absurd", lambda: lifting.path_norm(_net(), (10**5, 10**5)), ValueError, "^input_shape: 10,000,000,000"),
    ("path_norm.input_shape.empty", lambda: lifting.path_norm(_net(), ()), ValueError, "input_shape"),
    ("path_norm.gelu", lambda: lifting.path_norm(nn.Sequential(nn.Linear(2, 2), nn.GELU()), (2,)), TypeError, "GELU"),
    (
        "path_norm.relu6",
        lambda: lifting.path_norm(nn.Sequential(nn.Linear(2, 2), nn.ReLU6()), (2,)),
        TypeError,
        "ReLU6",
    ),
    ("path_norm.q.zero", lambda: lifting.path_norm(_net(), (2,), q=0), ValueError, "q must be"),
    ("path_norm.input_shape.zero", lambda: lifting.path_norm(_vgg(), (1, 0, 4)), ValueError, "input_shape"),
    ("path_norm.input_shape.int", lambda: lifting.path_norm(_vgg(), 16), TypeError, "input_shape"),
    ("path_norm.model.type", lambda: lifting.path_norm("model", (1, 4, 4)), TypeError, "model must be a Module"),
    ("path_norm.train_mode", lambda: lifting.path_norm(_vgg().train(), (1, 4, 4)), ValueError, "training mode"),
    (
        "path_metric.signs",
        lambda: lifting.path_metric(_vgg(), _flipped(_vgg()), (1, 4, 4)),
        ValueError,
        "opposite signs",
    ),
    (
        "path_metric.arch",
        lambda: lifting.path_metric(_vgg(), fc.mlp([3, 2], seed=0), (1, 4, 4)),
        ValueError,
        "same architecture",
    ),
    ("path_metric.input_shape.mismatch", lambda: lifting.path_metric(_net(), _net(), (3,)), ValueError, "input_shape"),
    ("path_metric.type", lambda: lifting.path_metric(_net(), "other", (2,)), TypeError, "pruned_model"),
    (
        "path_metric_bound.arch",
        lambda: lifting.path_metric_bound(_net(), fc.mlp([2, 4, 1], bias=False), (2,)),
        ValueError,
        "same architecture",
    ),
    (
        "path_magnitude_scores.input_shape.mismatch",
        lambda: lifting.path_magnitude_scores(_net(), (3,)),
        ValueError,
        "input_shape",
    ),
    (
        "path_magnitude_scores.module",
        lambda: lifting.path_magnitude_scores(nn.Sequential(nn.Linear(2, 2), nn.Tanh()), (2,)),
        TypeError,
        "Tanh",
    ),
    (
        "magnitude_scores.module",
        lambda: lifting.magnitude_scores(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())),
        TypeError,
        "Sigmoid",
    ),
    (
        "global_prune.fraction.nan",
        lambda: lifting.global_prune(_net(), lifting.magnitude_scores(_net()), NAN),
        ValueError,
        "fraction",
    ),
    ("global_prune.scores.empty", lambda: lifting.global_prune(_net(), {}, 0.5), ValueError, "scores"),
    ("global_prune.scores.list", lambda: lifting.global_prune(_net(), [torch.ones(3, 2)], 0.5), TypeError, "scores"),
    (
        "global_prune.scores.name",
        lambda: lifting.global_prune(_net(), {"nope.weight": torch.ones(3, 2)}, 0.5),
        ValueError,
        "scores",
    ),
    (
        "global_prune.scores.shape",
        lambda: lifting.global_prune(_net(), {"0.weight": torch.ones(2, 3)}, 0.5),
        ValueError,
        "scores",
    ),
    (
        "global_prune.scores.type",
        lambda: lifting.global_prune(_net(), {"0.weight": [[1.0, 1.0]] * 3}, 0.5),
        TypeError,
        "scores",
    ),
    (
        "global_prune.scores.nan",
        lambda: lifting.global_prune(_net(), {"0.weight": torch.full((3, 2), NAN)}, 0.5),
        ValueError,
        "scores",
    ),
    (
        "global_prune.model.type",
        lambda: lifting.global_prune("net", {"0.weight": torch.ones(3, 2)}, 0.5),
        TypeError,
        "model",
    ),
    (
        "random_rescaling.factors.empty",
        lambda: lifting.random_rescaling(_net(), seed=0, factors=()),
        ValueError,
        "factors",
    ),
    (
        "random_rescaling.factors.nan",
        lambda: lifting.random_rescaling(_net(), seed=0, factors=(NAN,)),
        ValueError,
        "factors",
    ),
    (
        "random_rescaling.factors.negative",
        lambda: lifting.random_rescaling(_net(), seed=0, factors=(-1.0, 2.0)),
        ValueError,
        "factors",
    ),
    ("random_rescaling.seed", lambda: lifting.random_rescaling(_net(), seed=0.5), TypeError, "seed"),
    ("random_rescaling.factors.type", lambda: lifting.random_rescaling(_net(), seed=0, factors=["a"]), TypeError,
     "factors"),
    # ------------------------------------------------------------ paths.lifting: what torch.fx reads in forward
    ("support_report.type", lambda: lifting.support_report("net"), TypeError, "model"),
    ("lifted_output.max_pools", lambda: lifting.lifted_output(_net(), (2,), max_pools="min"), ValueError, "max_pools"),
    ("lifted_output.q", lambda: lifting.lifted_output(_net(), (2,), q=-1), ValueError, r"^q must be > 0"),
    ("lifted_output.input_shape", lambda: lifting.lifted_output(_net(), (2, 0)), ValueError, "input_shape"),
    (
        "path_norm.gelu.functional",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.nn.functional.gelu(s.fc(x)), fc=nn.Linear(2, 2)), (2,)),
        TypeError,
        r"^node 'gelu' \(gelu\): GELU is not positively homogeneous$",
    ),
    (
        "path_norm.leaky.functional",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.nn.functional.leaky_relu(s.fc(x)), fc=nn.Linear(2, 2)), (2,)),
        TypeError,
        r"node 'leaky_relu'.*leaky slopes",
    ),
    (
        "path_norm.layernorm",
        lambda: lifting.path_norm(_Fwd(lambda s, x: s.ln(s.fc(x)), fc=nn.Linear(2, 2), ln=nn.LayerNorm(2)), (2,)),
        TypeError,
        r"module 'ln' \(LayerNorm\)",
    ),
    (
        "path_norm.attention",
        lambda: lifting.path_norm(
            _Fwd(lambda s, x: s.att(x, x, x)[0], att=nn.MultiheadAttention(2, 1, batch_first=True)), (3, 2)
        ),
        TypeError,
        r"module 'att' \(MultiheadAttention\): attention multiplies",
    ),
    (
        "path_norm.sdpa",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.nn.functional.scaled_dot_product_attention(x, x, x)), (3, 2)),
        TypeError,
        r"node 'scaled_dot_product_attention'.*attention",
    ),
    (
        "path_norm.product",
        lambda: lifting.path_norm(_Fwd(lambda s, x: s.fc(x) * x, fc=nn.Linear(2, 2)), (2,)),
        TypeError,
        r"node 'mul'.*two signals",
    ),
    (
        "path_norm.get_attr",
        lambda: lifting.path_norm(_Scaled(), (2,)),
        TypeError,
        r"^node 'scale' \(scale\): reads parameter or buffer 'scale' directly in forward",
    ),
    (
        "path_norm.constant.inf",  # the run-time constant check is check.real: a TypeError before
        lambda: lifting.path_norm(_Fwd(lambda s, x: s.fc(x) * INF, fc=nn.Linear(2, 2)), (2,)),
        ValueError,
        r"^node 'mul' \(mul\): the constant must be finite, got inf",
    ),
    (
        "path_norm.bn_train",
        lambda: lifting.path_norm(_Fwd(lambda s, x: s.bn(x), bn=nn.BatchNorm1d(2)), (2,)),
        ValueError,
        r"module 'bn' \(BatchNorm1d\): BatchNorm must be frozen",
    ),
    (
        "path_norm.control_flow",
        lambda: lifting.path_norm(_Branchy(), (2,)),
        ValueError,
        r"\(_Branchy\) at test_bad_input.py:\d+: data-dependent control flow",
    ),
    ("path_norm.two_inputs", lambda: lifting.path_norm(_TwoInputs(), (2,)), ValueError, "takes 2 required inputs"),
    (
        "path_norm.sin",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.sin(x)), (2,)),
        TypeError,
        "'sin' is not a ReLU-DAG operation",
    ),
    ("path_norm.divide", lambda: lifting.path_norm(_Fwd(lambda s, x: 1.0 / x), (2,)), TypeError, "divides by a signal"),
    (
        "path_norm.dropout_train",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.nn.functional.dropout(x, 0.5)), (2,)),
        ValueError,
        r"node 'dropout'.*training mode",
    ),
    (
        "path_norm.reflect_padding",
        lambda: lifting.path_norm(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")), (1, 4, 4)),
        ValueError,
        "padding_mode='reflect'",
    ),
    (
        "path_norm.batch_mean",
        lambda: lifting.path_norm(_Fwd(lambda s, x: x.mean(0)), (2,)),
        ValueError,
        r"node 'mean'.*batch dimension \(dim 0\) mixes samples; not a per-input ReLU DAG",
    ),
    (
        "path_norm.mean_all",
        lambda: lifting.path_norm(_Fwd(lambda s, x: x.mean()), (2,)),
        ValueError,
        r"node 'mean'.*every dimension",
    ),
    (
        "path_norm.broadcast_add",
        lambda: lifting.path_norm(_Fwd(lambda s, x: x + x.sum(1, keepdim=True)), (2,)),
        ValueError,
        r"node 'add'.*broadcasting",
    ),
    (
        "path_norm.batch_cat",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.cat([x, x], 0)), (2,)),
        ValueError,
        r"node 'cat'.*batch dimension",
    ),
    (
        "path_norm.constant_output",
        lambda: lifting.path_norm(_Fwd(lambda s, x: torch.ones(2)), (2,)),
        TypeError,
        r"tensor built in forward(.|\n)*does not depend on its input",
    ),
    (
        "path_norm.clamp_max",
        lambda: lifting.path_norm(_Fwd(lambda s, x: x.clamp(0, 1)), (2,)),
        TypeError,
        r"node 'clamp'.*clips",
    ),
    (
        "path_norm.problems_listed",
        lambda: lifting.path_norm(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Sigmoid()), (2,)),
        TypeError,
        r"^model is not a supported ReLU DAG \(2 problems\):\n- module '1' \(Tanh\).*\n- module '2' \(Sigmoid\)",
    ),
    # ------------------------------------------------------------ nets.classic (torchvision-shaped nets)
    ("resnet.depth", lambda: classic.resnet(19), ValueError, "depth"),
    ("resnet.width", lambda: classic.resnet(18, width=0), ValueError, "width"),
    ("vgg.cfg", lambda: classic.vgg("M64"), TypeError, "cfg"),
    ("vgg.absurd", lambda: classic.vgg((10**4, 10**4)), ValueError, "^vgg: .* parameters exceed"),
    ("vgg.cfg.entry", lambda: classic.vgg((8, "M", -1)), ValueError, r"cfg\[2\]"),
    ("alexnet.hidden", lambda: classic.alexnet(hidden=0), ValueError, "hidden"),
    ("alexnet.seed", lambda: classic.alexnet(seed=-1), ValueError, "seed"),
    ("BasicBlock.cin", lambda: classic.BasicBlock(0, 2), ValueError, "cin"),
    ("Bottleneck.stride", lambda: classic.Bottleneck(2, 2, stride=1.5), TypeError, "stride"),
    ("ResNet.block", lambda: classic.ResNet(nn.Linear, (1, 1)), TypeError, "block"),
    ("ResNet.layers", lambda: classic.ResNet(classic.BasicBlock, (1, 1, 1, 1, 1)), ValueError, "layers"),
    ("VGG.pool", lambda: classic.VGG((4, "M"), pool=0), ValueError, "pool"),
    ("AlexNet.width", lambda: classic.AlexNet(width=0), ValueError, "width"),
    ("BasicBlock.forward.channels", lambda: classic.BasicBlock(3, 2)(torch.ones(1, 2, 4, 4)), ValueError, "channels"),
    (
        "Bottleneck.forward.ndim",
        lambda: classic.Bottleneck(2, 1)(torch.ones(2, 4, 4)),
        ValueError,
        r"\bx must have 4 dimensions",
    ),
    (
        "ResNet.forward.type",
        lambda: classic.ResNet(classic.BasicBlock, (1,), width=2)(np.ones((1, 3, 8, 8))),
        TypeError,
        r"\bx must be a torch.Tensor",
    ),
    (
        "VGG.forward.nan",
        lambda: classic.VGG((2, "M"), hidden=2, pool=1)(torch.full((1, 3, 4, 4), NAN)),
        ValueError,
        "NaN",
    ),
    (
        "AlexNet.forward.channels",
        lambda: classic.AlexNet(width=1, hidden=2)(torch.ones(1, 1, 64, 64)),
        ValueError,
        "channels",
    ),
    # ------------------------------------------------------------ paths.dag
    ("DAG.add.kind", lambda: pdag.DAG().add("sigmoid", None, []), ValueError, "kind"),
    ("DAG.add.parent", lambda: pdag.DAG().add("relu", None, [(0, 1.0)]), ValueError, "parents"),
    ("DAG.add.bias.nan", lambda: pdag.DAG().add("input", NAN, []), ValueError, "bias"),
    (
        "DAG.add.absurd",
        lambda: [d.add("input", None, []) for d in [pdag.DAG()] for _ in range(20_001)],
        ValueError,
        "^DAG.add: 20,001 neurons .* exceed the budget of 20,000;",
    ),
    ("to_dag.module", lambda: pdag.to_dag(nn.Sequential(nn.Linear(2, 2), nn.GELU()), (2,)), TypeError, "GELU"),
    ("to_dag.absurd", lambda: pdag.to_dag(_net(), (5000,)), ValueError, "explicit DAGs"),
    ("to_dag.input_shape.mismatch", lambda: pdag.to_dag(_net(), (3,)), ValueError, "input_shape"),
    ("evaluate.shape", lambda: pdag.evaluate(_tiny_dag(), np.zeros((2, 3))), ValueError, "X"),
    ("evaluate.nan", lambda: pdag.evaluate(_tiny_dag(), np.array([[NAN, 0.0]])), ValueError, "X"),
    ("evaluate.empty", lambda: pdag.evaluate(_tiny_dag(), np.zeros((0, 2))), ValueError, "X"),
    ("evaluate.dag.type", lambda: pdag.evaluate("dag", np.zeros((1, 2))), TypeError, "dag"),
    ("dag.count_paths.type", lambda: pdag.count_paths(_net()), TypeError, "dag"),
    ("dag.enumerate_paths.max_paths", lambda: pdag.enumerate_paths(_tiny_dag(), max_paths=1), ValueError, "^max_paths: 7 paths"),
    (
        "dag.enumerate_paths.max_paths.zero",
        lambda: pdag.enumerate_paths(_tiny_dag(), max_paths=0),
        ValueError,
        "^max_paths",
    ),
    (
        "dag.enumerate_paths.max_paths.float",
        lambda: pdag.enumerate_paths(_tiny_dag(), max_paths=1e6),
        TypeError,
        "^max_paths",
    ),
    ("dag.enumerate_paths.X.shape", lambda: pdag.enumerate_paths(_tiny_dag(), np.zeros((2, 3))), ValueError, "X"),
    (
        "dag.enumerate_paths.gates_from.shape",
        lambda: pdag.enumerate_paths(_tiny_dag(), np.zeros((2, 2)), gates_from=np.zeros((3, 2))),
        ValueError,
        "gates_from",
    ),
    # gates_from is checked as itself (before, its errors named X or came from numpy)
    (
        "dag.enumerate_paths.gates_from.columns",
        lambda: pdag.enumerate_paths(_tiny_dag(), np.zeros((2, 2)), gates_from=np.zeros((2, 3))),
        ValueError,
        r"^gates_from must have 2 columns",
    ),
    (
        "dag.enumerate_paths.gates_from.nan",
        lambda: pdag.enumerate_paths(_tiny_dag(), np.zeros((1, 2)), gates_from=np.array([[NAN, 0.0]])),
        ValueError,
        r"^gates_from contains NaN",
    ),
    (
        "dag.enumerate_paths.gates_from.type",
        lambda: pdag.enumerate_paths(_tiny_dag(), np.zeros((1, 2)), gates_from=[["a", "b"]]),
        TypeError,
        r"^gates_from must be an array of real numbers",
    ),
    ("dag.enumerate_paths.X.nan", lambda: pdag.enumerate_paths(_tiny_dag(), np.array([[NAN, 0.0]])), ValueError, "X"),
    ("phi.max_paths", lambda: pdag.phi(_net(), (2,), max_paths=1), ValueError, "max_paths"),
    ("phi.max_paths.str", lambda: pdag.phi(_net(), (2,), max_paths="1"), TypeError, "^max_paths"),
    (
        "dag.output_from_paths.no_X",
        lambda: pdag.output_from_paths(pdag.enumerate_paths(_tiny_dag()), 1),
        ValueError,
        "X",
    ),
    (
        "dag.output_from_paths.n_outputs",
        lambda: pdag.output_from_paths(pdag.enumerate_paths(_tiny_dag(), np.zeros((1, 2))), 0),
        ValueError,
        "n_outputs",
    ),
    ("dag.output_from_paths.type", lambda: pdag.output_from_paths(5, 1), TypeError, r"^paths must be a Paths"),
    ("Residual.forward.type", lambda: ndag.Residual(nn.Identity())([1.0]), TypeError, r"\bx\b"),
    (
        "Residual.forward.empty",
        lambda: ndag.Residual(nn.Identity())(torch.zeros(0, 2)),
        ValueError,
        "^x is an empty batch",
    ),
    (
        "Residual.forward.shapes",
        lambda: ndag.Residual(nn.Linear(2, 1))(torch.zeros(3, 2)),
        ValueError,
        "differ in shape",
    ),
    ("Concat.forward.type", lambda: ndag.Concat(nn.Identity())("x"), TypeError, r"\bx\b"),
    ("Concat.forward.1d", lambda: ndag.Concat(nn.Identity())(torch.zeros(3)), ValueError, "^x must have 2 or 3"),
    (
        "Residual.forward.6d",  # accepted before; no layer torch has takes 6 dimensions
        lambda: ndag.Residual(nn.Identity())(torch.zeros(1, 1, 1, 1, 1, 1)),
        ValueError,
        "^x must have 2 or 3 or 4 or 5 dimensions",
    ),
    (
        "Concat.forward.shapes",
        lambda: ndag.Concat(nn.Identity(), nn.Flatten(0))(torch.zeros(3, 2, 2)),
        ValueError,
        "except in dim 1",
    ),
    (
        "Dense1d.receptive_field.range",
        lambda: teacher.Dense1d(2, 3, 4, 2, seed=0).receptive_field(2),
        ValueError,
        r"\bt\b",
    ),
    (
        "Dense1d.receptive_field.type",
        lambda: teacher.Dense1d(2, 3, 4, 2, seed=0).receptive_field(0.5),
        TypeError,
        r"\bt\b",
    ),
    (
        "Dense1d.forward.length",
        lambda: teacher.Dense1d(2, 3, 4, 2, seed=0)(torch.zeros(1, 2, 5)),
        ValueError,
        r"\bx\b.*\(\*, 2, 4\)",
    ),
    ("Dense1d.forward.type", lambda: teacher.Dense1d(2, 3, 4, 2, seed=0)(None), TypeError, r"\bx\b"),
    # ------------------------------------------------------------ messages name the function that refused
    (
        "count_paths.what",
        lambda: enumeration.count_paths(nn.Sequential(nn.Linear(2, 2), nn.GELU(), nn.Linear(2, 1))),
        TypeError,
        r"^count_paths\b",
    ),
    ("enumerate_paths.what", lambda: enumeration.enumerate_paths(_net(bias=True)), ValueError, r"^enumerate_paths\b"),
    (
        "enumerate_paths.absurd.why",
        lambda: enumeration.enumerate_paths(fc.mlp([10**3, 10**3, 10**3, 1], bias=False)),
        ValueError,
        "exponential reference for tiny nets",
    ),
    ("npf.what", lambda: enumeration.npf(_net(bias=True), _X()), ValueError, r"^npf\b"),
    ("npk.what", lambda: npk.npk(_net(bias=True), _X()), ValueError, r"^npk\b"),
    ("npk.X1.nan", lambda: npk.npk(_net(), _nan_X()), ValueError, r"^X1 contains NaN"),
    ("npk.X2.nan", lambda: npk.npk(_net(), _X(), _nan_X()), ValueError, r"^X2 contains NaN"),
    (
        "npk_from_gates.X2.type",
        lambda: npk.npk_from_gates(_X(3), [torch.ones(3, 2)], [[1.0]], [torch.ones(1, 2)]),
        TypeError,
        r"^X2 .*got list",
    ),
    (
        "npk_from_gates.X1.int",
        lambda: npk.npk_from_gates(torch.ones(3, 2, dtype=torch.long), [torch.ones(3, 2)], _X(3), [torch.ones(3, 2)]),
        TypeError,
        r"^X1 .*got dtype torch.int64",
    ),
    (
        "npk_from_gates.G2.rows",
        lambda: npk.npk_from_gates(_X(4), [torch.ones(4, 2)], _X(3), [torch.ones(1, 2)]),
        ValueError,
        r"^G2\[0\]",
    ),
    (
        "npv_from_weights.chain.index",
        lambda: enumeration.npv_from_weights([torch.ones(3, 2), torch.ones(1, 4)], torch.zeros(1, 2, dtype=torch.long)),
        ValueError,
        r"weights\[1\] takes 4 inputs but weights\[0\] has 3 outputs",
    ),
    ("exact_erm.X.nan", lambda: erm.exact_erm(np.array([[0.0], [NAN]]), np.zeros(2), 1), ValueError, r"^X\b"),
    (
        "path_metric.not_shrink",
        lambda: lifting.path_metric(
            _net(),
            fc.mlp([2, 3, 1], bias=False, seed=0).apply(
                lambda m: m.weight.data.mul_(2) if isinstance(m, nn.Linear) else None
            ),
            (2,),
        ),
        ValueError,
        r"^'0.weight': pruned_model is not a shrink.*use path_metric_bound$",
    ),
    (
        "check_supported.bn_train",
        lambda: lifting.check_supported(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))),
        ValueError,
        "not a ReLU-DAG neuron",
    ),
    (
        "check_supported.maxpool_indices",
        lambda: lifting.check_supported(nn.Sequential(nn.MaxPool2d(2, return_indices=True))),
        ValueError,
        r"^module '0' \(MaxPool2d\): return_indices=True is not supported$",
    ),
    (
        "check_supported.unknown",
        lambda: lifting.check_supported(nn.Sequential(nn.Linear(2, 2), nn.Hardswish())),
        TypeError,
        "not a module path_norm knows how to read as a ReLU DAG",
    ),
    ("check_supported.no_weight", lambda: lifting.check_supported(_no_weight()), ValueError, r"\(Linear\): no weight$"),
    (
        "random_rescaling.factors.zero",
        lambda: lifting.random_rescaling(_net(), seed=0, factors=(1.0, 0.0)),
        ValueError,
        "factors",
    ),
    (
        "conditional_covariance.a.nan",
        lambda: projection.conditional_covariance(
            torch.tensor([1.0, NAN, 0.0]), torch.ones(3), [0, 0, 0], torch.ones(3), 1
        ),
        ValueError,
        r"^a\b",
    ),
    (
        "conditional_covariance.a.type",
        lambda: projection.conditional_covariance("a", torch.ones(3), [0, 0, 0], torch.ones(3), 1),
        TypeError,
        r"^a\b",
    ),
    (
        "reformulated_backward.Pbs.nan",
        lambda: projection.reformulated_backward([torch.full((2, 2), NAN)], [torch.ones(2, 2)], [torch.ones(2, 2)]),
        ValueError,
        r"^Pbs\b",
    ),
    (
        "pieces_1d.what",
        lambda: regions.pieces_1d(fc.mlp([1, 2, 2], seed=0), 0.0, 1.0),
        ValueError,
        r"^pieces_1d needs a net with one output, got 2$",
    ),
    (
        "regions_2d.what",
        lambda: regions.regions_2d(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)), (0, 1, 0, 1)),
        TypeError,
        r"^regions_2d\b",
    ),
    (
        "affine_layers.chain",
        lambda: regions.affine_layers(nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(2, 1))),
        ValueError,
        r"a Linear with 3 outputs feeds one with 2 inputs$",
    ),
    (
        "pieces_1d.lo.type",
        lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), "0", 1.0),
        TypeError,
        r"^lo must be a real number, got str$",
    ),
    # ------------------------------------------------------------ nets.gated
    ("DeepGatedNet.gate", lambda: ngated.DeepGatedNet(_net(), _net(), gate="sigmoid"), ValueError, "gate"),
    ("DeepGatedNet.beta.nan", lambda: ngated.DeepGatedNet(_net(), _net(), beta=NAN), ValueError, "beta"),
    ("DeepGatedNet.beta.zero", lambda: ngated.DeepGatedNet(_net(), _net(), beta=0.0), ValueError, "beta"),
    ("DeepGatedNet.beta.bool", lambda: ngated.DeepGatedNet(_net(), _net(), beta=True), TypeError, "beta"),
    ("DeepGatedNet.eps.inf", lambda: ngated.DeepGatedNet(_net(), _net(), eps=INF), ValueError, "eps"),
    ("DeepGatedNet.eps.le_minus_one", lambda: ngated.DeepGatedNet(_net(), _net(), eps=-1.0), ValueError, "eps"),
    ("DeepGatedNet.sizes", lambda: ngated.DeepGatedNet(_net(), fc.mlp([2, 4, 1], seed=0)), ValueError, "hidden sizes"),
    ("DeepGatedNet.dtype", lambda: ngated.DeepGatedNet(_net(), _net().float()), TypeError, "value net"),
    (
        "DeepGatedNet.unsupported",
        lambda: ngated.DeepGatedNet(nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)), _net()),
        TypeError,
        "GELU",
    ),
    ("DeepGatedNet.type", lambda: ngated.DeepGatedNet("feature", _net()), TypeError, "feature"),
    ("DeepGatedNet.forward.nan", lambda: _dgn()(_nan_X()), ValueError, r"\bX\b.*NaN"),
    ("DeepGatedNet.forward.inf", lambda: _dgn()(_X().fill_(INF)), ValueError, r"\bX\b.*infinite"),
    ("DeepGatedNet.forward.empty", lambda: _dgn()(_X(0)), ValueError, r"\bX\b.*empty"),
    ("DeepGatedNet.forward.shape", lambda: _dgn()(_X(4, 3)), ValueError, r"\bX\b.*\(N, 2\)"),
    ("DeepGatedNet.forward.3d", lambda: _dgn()(_X().unsqueeze(0)), ValueError, r"\bX\b.*\(N, 2\)"),
    ("DeepGatedNet.forward.int", lambda: _dgn()(torch.zeros(4, 2, dtype=torch.long)), TypeError, r"\bX\b.*floating"),
    ("DeepGatedNet.forward.float32", lambda: _dgn()(_X().float()), TypeError, r"\bX\b.*float32"),
    ("DeepGatedNet.forward.type", lambda: _dgn()([[0.0, 1.0]]), TypeError, r"\bX\b.*list"),
    ("DeepGatedNet.ntk.nan", lambda: ntk.ntk(_dgn(), _nan_X()), ValueError, r"\bX1\b.*NaN"),
    ("DeepGatedNet.gates.nan", lambda: _dgn().gates(_nan_X()), ValueError, "NaN"),
    ("DeepGatedNet.feature_preactivations.nan", lambda: _dgn().feature_preactivations(_nan_X()), ValueError, "NaN"),
    ("DeepGatedNet.freeze.part", lambda: _dgn().freeze("gates"), ValueError, "part"),
    ("DeepGatedNet.param_names.part", lambda: _dgn().param_names("weights"), ValueError, "part"),
    ("from_relu.type", lambda: ngated.from_relu("net"), TypeError, "from_relu"),
    (
        "from_relu.unsupported",
        lambda: ngated.from_relu(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))),
        TypeError,
        "Tanh",
    ),
    ("from_relu.beta", lambda: ngated.from_relu(_net(), gate="soft", beta=-1.0), ValueError, "beta"),
    ("gated_variant.kind", lambda: ngated.gated_variant("npf", [2, 3, 1], seed=0), ValueError, "kind"),
    ("gated_variant.trained.missing", lambda: ngated.gated_variant("flnpf", [2, 3, 1], seed=0), ValueError, "trained"),
    (
        "gated_variant.trained.extra",
        lambda: ngated.gated_variant("frnpf-ii", [2, 3, 1], seed=0, trained=_net()),
        ValueError,
        "trained",
    ),
    (
        "gated_variant.trained.type",
        lambda: ngated.gated_variant("flnpf", [2, 3, 1], seed=0, trained="net"),
        TypeError,
        "trained",
    ),
    ("gated_variant.seed.type", lambda: ngated.gated_variant("frnpf-ii", [2, 3, 1], seed=0.5), TypeError, "seed"),
    ("gated_variant.widths.neg", lambda: ngated.gated_variant("frnpf-ii", [2, -3, 1], seed=0), ValueError, "widths"),
    ("gated_variant.eps.nan", lambda: ngated.gated_variant("dlnpf", [2, 3, 1], seed=0, eps=NAN), ValueError, "eps"),
    ("gated_variant.widths.type", lambda: ngated.gated_variant("frnpf-ii", 5, seed=0), TypeError, "widths"),
    ("GatedStack.empty", lambda: gstack.GatedStack([], [], [], []), ValueError, "one entry per member"),
    ("GatedStack.values.type", lambda: gstack.GatedStack(["relu"], _net(), [None], [False]), TypeError, "values"),
    (
        "GatedStack.lengths",
        lambda: gstack.GatedStack(["relu"], [_net(), _net()], [None], [False]),
        ValueError,
        "one entry per member",
    ),
    ("GatedStack.modes", lambda: gstack.GatedStack(["gelu"], [_net()], [None], [False]), ValueError, "modes"),
    (
        "GatedStack.feature.missing",
        lambda: gstack.GatedStack(["hard"], [_net()], [None], [False]),
        ValueError,
        "feature net",
    ),
    (
        "GatedStack.feature.sizes",
        lambda: gstack.GatedStack(["hard"], [_net()], [fc.mlp([2, 4, 1], seed=0)], [False]),
        ValueError,
        r"features\[0\]",
    ),
    (
        "GatedStack.feature.bias",
        lambda: gstack.GatedStack(["hard"], [_net()], [_net(bias=True)], [False]),
        ValueError,
        r"features\[0\].*biases",
    ),
    (
        "GatedStack.sizes",
        lambda: gstack.GatedStack(["relu", "relu"], [_net(), fc.mlp([2, 4, 1], seed=0)], [None, None], [False, False]),
        ValueError,
        "same layer sizes",
    ),
    (
        "GatedStack.bias.mixed",
        lambda: gstack.GatedStack(["relu", "relu"], [_net(), _net(bias=True)], [None, None], [False, False]),
        ValueError,
        "biases",
    ),
    (
        "GatedStack.dtype",
        lambda: gstack.GatedStack(["relu", "relu"], [_net(), _net().float()], [None, None], [False, False]),
        TypeError,
        "dtype",
    ),
    (
        "GatedStack.train_feature.type",
        lambda: gstack.GatedStack(["hard"], [_net()], [_net()], ["yes"]),
        TypeError,
        "train_feature",
    ),
    (
        "GatedStack.beta.inf",
        lambda: gstack.GatedStack(["soft"], [_net()], [_net()], [True], beta=INF),
        ValueError,
        "beta",
    ),
    ("GatedStack.eps.nan", lambda: gstack.GatedStack(["soft"], [_net()], [_net()], [True], eps=NAN), ValueError, "eps"),
    (
        "GatedStack.unsupported",
        lambda: gstack.GatedStack(
            ["relu"], [nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))], [None], [False]
        ),
        TypeError,
        "Sigmoid",
    ),
    ("GatedStack.forward.nan", lambda: _stack()(_nan_X()), ValueError, r"\bX\b.*NaN"),
    ("GatedStack.forward.empty", lambda: _stack()(_X(0)), ValueError, r"\bX\b.*empty"),
    ("GatedStack.forward.shape", lambda: _stack()(_X(4, 3)), ValueError, r"\bX\b"),
    ("GatedStack.forward.members", lambda: _stack()(torch.zeros(3, 4, 2)), ValueError, r"\bX\b.*\(2, B, 2\)"),
    ("GatedStack.forward.dtype", lambda: _stack()(_X().float()), TypeError, r"\bX\b.*float32"),
    ("GatedStack.forward.int", lambda: _stack()(torch.zeros(4, 2, dtype=torch.long)), TypeError, r"\bX\b.*floating"),
    ("GatedStack.forward.frozen_gates", lambda: _stack()(_X(), frozen_gates=[]), ValueError, "frozen_gates"),
    (
        "GatedStack.forward.frozen_gates.short",
        lambda: (
            st := gstack.GatedStack(["hard"], [fc.mlp([2, 3, 3, 2], seed=0)], [fc.mlp([2, 3, 3, 2], seed=9)], [False])
        )(_X(), frozen_gates=st.frozen_gates(_X())[:1]),
        ValueError,
        "frozen_gates must have shapes",
    ),
    ("GatedStack.frozen_gates.nan", lambda: _stack().frozen_gates(_nan_X()), ValueError, r"\bX\b.*NaN"),
    ("GatedStack.frozen_gates.3d", lambda: _stack().frozen_gates(torch.zeros(2, 4, 2)), ValueError, r"\bX\b.*\(N, 2\)"),
    ("GatedStack.frozen_gates.width", lambda: _stack().frozen_gates(_X(5, 3)), ValueError, "X must be"),
    ("GatedStack.member.index", lambda: _stack().member(2), ValueError, "member index"),
    ("GatedStack.member.bool", lambda: _stack().member(True), TypeError, "member index m must be an int"),
    ("train_stack.stack.type", lambda: _train(stack=_net()), TypeError, "stack"),
    ("train_stack.X.nan", lambda: _train(X=_nan_X()), ValueError, r"\bX\b.*NaN"),
    ("train_stack.X.empty", lambda: _train(X=_X(0), Y=_labels(2, 0)), ValueError, r"\bX\b.*empty"),
    ("train_stack.X.1d", lambda: _train(X=torch.zeros(2)), ValueError, r"\bX\b"),
    ("train_stack.X.3d", lambda: _train(X=torch.zeros(2, 4, 2)), ValueError, r"\bX\b.*\(N, 2\)"),
    ("train_stack.Y.float", lambda: _train(Y=torch.zeros(2, 4)), TypeError, r"\bY\b.*integer"),
    ("train_stack.Y.shape", lambda: _train(Y=torch.zeros(4, dtype=torch.long)), ValueError, r"\bY\b.*\(2, 4\)"),
    ("train_stack.Y.range", lambda: _train(Y=torch.full((2, 4), 2)), ValueError, r"\bY\b.*outside \[0, 2\)"),
    ("train_stack.Y.negative", lambda: _train(Y=torch.full((2, 4), -1)), ValueError, r"\bY\b.*outside"),
    ("train_stack.feature_labels.float", lambda: _train(feature_labels=torch.zeros(2, 4)), TypeError,
     r"feature_labels.*integer"),
    ("train_stack.feature_labels.shape", lambda: _train(feature_labels=_labels(2, 3)), ValueError,
     r"feature_labels.*\(2, 4\)"),
    ("train_stack.epochs.neg", lambda: _train(epochs=-1), ValueError, "epochs"),
    ("train_stack.epochs.float", lambda: _train(epochs=1.0), TypeError, "epochs"),
    ("train_stack.batch_size.zero", lambda: _train(batch_size=0), ValueError, "batch_size"),
    ("train_stack.batch_size.float", lambda: _train(batch_size=2.5), TypeError, "batch_size"),
    ("train_stack.lr.nan", lambda: _train(lr=NAN), ValueError, r"\blr\b"),
    ("train_stack.lr.inf", lambda: _train(lr=INF), ValueError, r"\blr\b"),
    ("train_stack.lr.neg", lambda: _train(lr=-0.1), ValueError, r"\blr\b"),
    ("train_stack.seed.type", lambda: _train(seed=0.5), TypeError, "seed"),
    ("train_stack.optimizer", lambda: _train(optimizer="lbfgs"), ValueError, "optimizer"),
    ("train_stack.groups", lambda: _train(groups=[0]), ValueError, "groups"),
    ("train_stack.groups.float", lambda: _train(groups=[0.0, 1.0]), TypeError, "groups"),
    ("train_stack.groups.negative", lambda: _train(groups=[0, -1]), ValueError, r"groups\[1\]"),
    ("train_stack.groups.float_tensor", lambda: _train(groups=torch.zeros(2)), TypeError, "groups"),
    ("train_stack.groups.bool_tensor", lambda: _train(groups=torch.ones(2, dtype=torch.bool)), TypeError, "groups"),
    ("train_stack.evals.type", lambda: _train(evals={"test": _X()}), TypeError, r"evals\['test'\]"),
    ("train_stack.evals.dict", lambda: _train(evals=[1]), TypeError, r"^evals must be a dict"),
    (
        "train_stack.evals.X.nan",
        lambda: _train(evals={"test": (_nan_X(), torch.zeros(4, dtype=torch.long))}),
        ValueError,
        r"evals\['test'\] X_e.*NaN",
    ),
    (
        "train_stack.evals.Y.shape",
        lambda: _train(evals={"test": (_X(), torch.zeros(3, dtype=torch.long))}),
        ValueError,
        r"evals\['test'\] Y_e",
    ),
    ("train_stack.on_step.type", lambda: _train(on_step=3), TypeError, "on_step"),
    ("train_stack.on_epoch.type", lambda: _train(on_epoch="print"), TypeError, "on_epoch"),
    ("train_stack.device.type", lambda: _train(device=0), TypeError, "^device"),
    ("train_stack.device.name", lambda: _train(device="gpu"), ValueError, "^device"),
    # ------------------------------------------------------------ paths.pair_pass
    ("npk_pair_pass.x1.type", lambda: pair_pass.npk_pair_pass(_net(), [0.0, 1.0], _X()[0]), TypeError, r"\bx1\b"),
    ("npk_pair_pass.x2.type", lambda: pair_pass.npk_pair_pass(_net(), _X()[0], None), TypeError, r"\bx2\b"),
    ("npk_pair_pass.shapes", lambda: pair_pass.npk_pair_pass(_net(), _X(4), _X(3)), ValueError, "same shape"),
    ("npk_pair_pass.x1.nan", lambda: pair_pass.npk_pair_pass(_net(), _nan_X(), _X()), ValueError, r"\bx1\b.*NaN"),
    ("npk_pair_pass.x2.nan", lambda: pair_pass.npk_pair_pass(_net(), _X(), _nan_X()), ValueError, r"\bx2\b.*NaN"),
    ("npk_pair_pass.empty", lambda: pair_pass.npk_pair_pass(_net(), _X(0), _X(0)), ValueError, r"\bx1\b.*empty"),
    (
        "npk_pair_pass.width",
        lambda: pair_pass.npk_pair_pass(_net(), _X(4, 3), _X(4, 3)),
        ValueError,
        r"\bx1\b.*3 features",
    ),
    (
        "npk_pair_pass.3d",
        lambda: pair_pass.npk_pair_pass(_net(), torch.zeros(1, 4, 2), torch.zeros(1, 4, 2)),
        ValueError,
        r"\bx1\b.*shape",
    ),
    (
        "npk_pair_pass.dtype",
        lambda: pair_pass.npk_pair_pass(_net(), _X().float(), _X().float()),
        TypeError,
        r"\bx1\b.*float32",
    ),
    ("npk_pair_pass.bias", lambda: pair_pass.npk_pair_pass(_net(bias=True), _X(), _X()), ValueError, "bias"),
    (
        "npk_pair_pass.unsupported",
        lambda: pair_pass.npk_pair_pass(
            nn.Sequential(nn.Linear(2, 3, bias=False), nn.GELU(), nn.Linear(3, 1, bias=False)), _X(), _X()
        ),
        TypeError,
        "GELU",
    ),
    ("npk_pair_pass.x1.numpy", lambda: pair_pass.npk_pair_pass(_net(), _X().numpy(), _X()), TypeError, "torch.Tensor"),
    (
        "npk_pair_pass.int",
        lambda: pair_pass.npk_pair_pass(
            _net(), torch.ones(4, 2, dtype=torch.int64), torch.ones(4, 2, dtype=torch.int64)
        ),
        TypeError,
        "real floating",
    ),
    (
        "npk_pair_pass.model.linear",
        lambda: pair_pass.npk_pair_pass(nn.Linear(2, 1), _X(), _X()),
        TypeError,
        "nn.Sequential",
    ),
    ("npk_pair_gram.X1.nan", lambda: pair_pass.npk_pair_gram(_net(), _nan_X()), ValueError, r"\bX1\b.*NaN"),
    ("npk_pair_gram.X2.width", lambda: pair_pass.npk_pair_gram(_net(), _X(), _X(4, 3)), ValueError, r"\bX2\b"),
    ("npk_pair_gram.X1.empty", lambda: pair_pass.npk_pair_gram(_net(), _X(0)), ValueError, r"\bX1\b.*empty"),
    ("npk_pair_gram.bias", lambda: pair_pass.npk_pair_gram(_net(bias=True), _X()), ValueError, "bias"),
    (
        "npk_pair_gram.absurd",
        lambda: pair_pass.npk_pair_gram(_net(), _X(4000), _X(4000)),
        ValueError,
        r"^npk_pair_gram: 16,000,000 pairs .* budget of 10,000,000;",
    ),
    ("pair_forward.h.nan", lambda: _pair(h=_nan_X()), ValueError, r"\bh\b.*NaN"),
    ("pair_forward.h.shape", lambda: _pair(h=_X(4, 3)), ValueError, r"\bh\b"),
    (
        "pair_forward.G1.length",
        lambda: _pair(G1=[]),
        ValueError,
        r"\bG1\b needs one gate matrix per hidden layer \(1\), got 0",
    ),
    (
        "pair_forward.model.type",
        lambda: _pair(model=nn.Linear(2, 1)),
        TypeError,
        r"^pair_forward needs an nn.Sequential",
    ),
    ("pair_forward.G2.type", lambda: _pair(G2=torch.ones(4, 3)), TypeError, r"\bG2\b"),
    ("pair_forward.G1.shape", lambda: _pair(G1=[torch.ones(3, 3)]), ValueError, r"G1\[0\].*\(4, 3\)"),
    ("pair_forward.G2.nan", lambda: _pair(G2=[torch.full((4, 3), NAN)]), ValueError, r"G2\[0\].*NaN"),
    ("pair_forward.G1.entry.type", lambda: _pair(G1=[[[1.0] * 3] * 4]), TypeError, r"G1\[0\].*torch.Tensor"),
    ("pair_forward.bias", lambda: _pair(model=_net(bias=True)), ValueError, "bias"),
    # ------------------------------------------------------------ paths.gated
    ("dgn_npk.type", lambda: gated.dgn_npk(_net(), _X()), TypeError, "DeepGatedNet"),
    ("dgn_npk.X.nan", lambda: gated.dgn_npk(_dgn(), _nan_X()), ValueError, "X1"),
    ("dgn_npk.X.empty", lambda: gated.dgn_npk(_dgn(), _X(0)), ValueError, "X1"),
    ("dgn_npk.X.shape", lambda: gated.dgn_npk(_dgn(), torch.zeros(3)), ValueError, "X1"),
    ("dgn_npk.X.dtype", lambda: gated.dgn_npk(_dgn(), torch.zeros(3, 2, dtype=torch.long)), TypeError, "X1"),
    ("dgn_npk.X2.shape", lambda: gated.dgn_npk(_dgn(), _X(), _X(3, 3)), ValueError, r"^X2 must be of shape"),
    ("dgn_npk.soft.nan_weights", lambda: gated.dgn_npk(_soft_dgn_nan(), _X()), ValueError, r"gates G_1\(X1\).*NaN"),
    ("value_ntk.type", lambda: gated.value_ntk(_net(), _X()), TypeError, "DeepGatedNet"),
    ("feature_ntk.X.nan", lambda: gated.feature_ntk(_dgn(), _nan_X()), ValueError, "X1"),
    ("ntk_npk_constant.type", lambda: gated.ntk_npk_constant(2.0), TypeError, "sigmas"),
    ("ntk_npk_constant.nan", lambda: gated.ntk_npk_constant([1.0, NAN]), ValueError, "sigmas"),
    ("ntk_npk_constant.empty", lambda: gated.ntk_npk_constant([]), ValueError, "sigmas"),
    ("ntk_npk_constant.negative", lambda: gated.ntk_npk_constant([0.5, -1.0]), ValueError, r"sigmas\[1\] must be > 0"),
    ("bernoulli_weights.sigmas.nan", lambda: gated.bernoulli_weights([2, 1], [NAN], 2, seed=0), ValueError, "sigmas"),
    ("bernoulli_weights.sigmas.type", lambda: gated.bernoulli_weights([2, 1], 3, 2, seed=0), TypeError, "sigmas"),
    ("bernoulli_weights.draws.type", lambda: gated.bernoulli_weights([2, 1], [1.0], 2.5, seed=0), TypeError, "draws"),
    (
        "bernoulli_weights.widths.zero",
        lambda: gated.bernoulli_weights([2, 0, 1], [1.0, 1.0], 2, seed=0),
        ValueError,
        "widths",
    ),
    (
        "bernoulli_weights.absurd",
        lambda: gated.bernoulli_weights([10**4, 10**4, 1], [1.0, 1.0], 10, seed=0),
        ValueError,
        r"^draws: 1,000,100,000 weights .* budget of 200,000,000;",
    ),
    ("bernoulli_weights.seed.type", lambda: gated.bernoulli_weights([2, 1], [1.0], 2, seed=0.5), TypeError, "seed"),
    ("bernoulli_weights.seed.negative", lambda: gated.bernoulli_weights([2, 1], [1.0], 2, seed=-1), ValueError, "seed"),
    (
        "bernoulli_weights.dtype",  # was torch's RuntimeError from .to("float")
        lambda: gated.bernoulli_weights([2, 1], [1.0], 2, seed=0, dtype="float"),
        TypeError,
        r"^dtype must be a real floating torch.dtype",
    ),
    (
        "bernoulli_weights.sigmas.count",
        lambda: gated.bernoulli_weights([3, 4, 1], [1.0], 2, seed=0),
        ValueError,
        r"one sigma per layer \(2\), got 1",
    ),
    ("ntk_split.type", lambda: gated.ntk_split(_net(), _X()), TypeError, "DeepGatedNet"),
    ("ntk_split.X1.nan", lambda: gated.ntk_split(_dgn(), _nan_X()), ValueError, r"^X1 contains NaN"),
    ("ntk_split.X2.shape", lambda: gated.ntk_split(_dgn(), _X(), _X(3, 3)), ValueError, r"^X2 must be of shape"),
    ("ntk_split.X1.dtype", lambda: gated.ntk_split(_dgn(), _X().float()), TypeError, r"^X1 has dtype torch.float32 but the model.s weights are torch.float64"),
    ("ntk_split.X1.empty", lambda: gated.ntk_split(_dgn(), _X(0)), ValueError, r"^X1 is an empty batch"),
    ("ntk_split.X1.type", lambda: gated.ntk_split(_dgn(), [[0.0, 1.0]]), TypeError, r"^X1 must be a torch.Tensor"),
    (
        "ntk_split.output.missing",
        lambda: gated.ntk_split(ngated.DeepGatedNet(fc.mlp([2, 3, 2], seed=0), fc.mlp([2, 3, 2], seed=1)), _X()),
        ValueError,
        "output",
    ),
    ("ntk_split.output.range", lambda: gated.ntk_split(_dgn(), _X(), output=1), ValueError, r"^output must be <= 0"),
    ("ntk_split.output.type", lambda: gated.ntk_split(_dgn(), _X(), output=0.0), TypeError, r"^output must be an int"),
    (
        "value_ntk_from_gates.weights.shape",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(2, 1, 3)], _X(), [torch.ones(4, 3)]),
        ValueError,
        "weights",
    ),
    (
        "value_ntk_from_gates.X.nan",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 3)], _nan_X(), [torch.ones(4, 3)]),
        ValueError,
        "X1",
    ),
    (
        "value_ntk_from_gates.G.shape",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 3)], _X(), [torch.ones(5, 3)]),
        ValueError,
        "gate",
    ),
    (
        "value_ntk_from_gates.weights.nan",
        lambda: gated.value_ntk_from_gates([torch.full((3, 2), NAN), torch.ones(1, 3)], _X(), [torch.ones(4, 3)]),
        ValueError,
        "weights",
    ),
    ("value_ntk_from_gates.weights.empty", lambda: gated.value_ntk_from_gates([], _X(), []), ValueError, "weights"),
    ("value_ntk_from_gates.weights.int", lambda: gated.value_ntk_from_gates(5, _X(), []), TypeError, "weights"),
    ("value_ntk_from_gates.G1.type", lambda: gated.value_ntk_from_gates([torch.ones(1, 2)], _X(), 5), TypeError, "G1"),
    (
        "value_ntk_from_gates.G2.type",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 3)], _X(), [torch.ones(4, 3)], _X(), 5),
        TypeError,
        "G2",
    ),
    (
        "value_ntk_from_gates.G.entry",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 3)], _X(), [[[1.0] * 3] * 4]),
        TypeError,
        r"G1\[0\]",
    ),
    (
        "value_ntk_from_gates.weights.type",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), [[1.0, 1.0, 1.0]]], _X(), [torch.ones(4, 3)]),
        TypeError,
        r"^weights\[1\]",
    ),
    (
        "value_ntk_from_gates.weights.chain",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 4)], _X(), [torch.ones(4, 3)]),
        ValueError,
        "weights",
    ),
    (
        "value_ntk_from_gates.outputs",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(2, 3)], _X(), [torch.ones(4, 3)]),
        ValueError,
        "one output",
    ),
    (
        "value_ntk_from_gates.G.count",
        lambda: gated.value_ntk_from_gates([torch.ones(3, 2), torch.ones(1, 3)], _X(), [torch.ones(4, 3)] * 2),
        ValueError,
        r"need 1 gate matrices \(one per hidden layer\), got 2",
    ),
    # ------------------------------------------------------------ projection
    (
        "conditional_mean.weights.nan",
        lambda: projection.conditional_mean(torch.ones(3), [0, 1, 1], torch.tensor([1.0, NAN, 1.0]), 2),
        ValueError,
        "weights",
    ),
    (
        "conditional_mean.weights.shape",
        lambda: projection.conditional_mean(torch.ones(3), [0, 1, 1], torch.ones(2), 2),
        ValueError,
        "weights",
    ),
    (
        "conditional_mean.values.nan",
        lambda: projection.conditional_mean(torch.tensor([1.0, NAN, 1.0]), [0, 1, 1], torch.ones(3), 2),
        ValueError,
        "values",
    ),
    (
        "conditional_mean.z.range",
        lambda: projection.conditional_mean(torch.ones(3), [0, 1, 2], torch.ones(3), 2),
        ValueError,
        "z",
    ),
    (
        "conditional_mean.z.range.values",
        lambda: projection.conditional_mean(torch.ones(3), [0, 1, 2], torch.ones(3), 2),
        ValueError,
        r"^z must hold events in \[0, 2\), got values in \[0, 2\]",
    ),
    (
        "conditional_mean.z.float",
        lambda: projection.conditional_mean(torch.ones(3), [0.0, 0.5, 1.0], torch.ones(3), 2),
        TypeError,
        "z",
    ),
    (
        "conditional_mean.m",
        lambda: projection.conditional_mean(torch.ones(3), [0, 0, 0], torch.ones(3), 0),
        ValueError,
        "m",
    ),
    (
        "conditional_mean.empty",
        lambda: projection.conditional_mean(torch.ones(0), [], torch.ones(0), 1),
        ValueError,
        "empty",
    ),
    (
        "conditional_mean.values.type",
        lambda: projection.conditional_mean([1.0, 2.0], [0, 0], torch.ones(2), 1),
        TypeError,
        "values",
    ),
    (
        "conditional_mean.zero_mass.last",
        lambda: projection.conditional_mean(torch.ones(3), [0, 1, 0], torch.ones(3), 3),
        ValueError,
        r"events \[2\] have zero mass",
    ),
    (
        "conditional_mean.zero_mass",
        lambda: projection.conditional_mean(torch.ones(3), [0, 0, 2], torch.ones(3), 3),
        ValueError,
        r"events \[1\] have zero mass",
    ),
    (
        "event_statistics.weights.neg",
        lambda: projection.event_statistics([0, 1], [0, 1], torch.tensor([1.0, -1.0]), 2, 2),
        ValueError,
        "weights",
    ),
    (
        "event_statistics.weights.nan",
        lambda: projection.event_statistics([0, 1], [0, 1], torch.tensor([1.0, NAN]), 2, 2),
        ValueError,
        "weights",
    ),
    (
        "event_statistics.z.shape",
        lambda: projection.event_statistics([0, 1, 1], [0, 1], torch.ones(2), 2, 2),
        ValueError,
        "z_parent",
    ),
    (
        "event_statistics.m",
        lambda: projection.event_statistics([0, 0], [0, 0], torch.ones(2), 0, 1),
        ValueError,
        "m_parent",
    ),
    (
        "event_statistics.child_event.empty",
        lambda: projection.event_statistics([0, 1], [0, 0], torch.ones(2), 2, 2),
        ValueError,
        "positive probability",
    ),
    ("event_statistics.empty", lambda: projection.event_statistics([], [], torch.ones(0), 1, 1), ValueError, "empty"),
    (
        "reformulated_forward.chain",
        lambda: projection.reformulated_forward([torch.ones(2, 3)], [torch.ones(2, 2)], [torch.ones(2, 2)]),
        ValueError,
        "chain",
    ),
    (
        "reformulated_forward.Ws.vector",
        lambda: projection.reformulated_forward([torch.eye(2)], [torch.eye(2)], [torch.ones(2)]),
        ValueError,
        r"\bWs\[0\]",
    ),
    ("reformulated_forward.empty", lambda: projection.reformulated_forward([], [], []), ValueError, "non-empty"),
    (
        "reformulated_forward.nan",
        lambda: projection.reformulated_forward([torch.ones(2, 2)], [torch.full((2, 2), NAN)], [torch.ones(2, 2)]),
        ValueError,
        "Fs",
    ),
    (
        "reformulated_forward.type",
        lambda: projection.reformulated_forward([[[1.0]]], [torch.ones(1, 1)], [torch.ones(1, 1)]),
        TypeError,
        "Ps",
    ),
    (
        "reformulated_forward.D",
        lambda: projection.reformulated_forward([torch.ones(2, 2)], [torch.ones(2, 2)], [torch.ones(2, 2)], D="tanh"),
        ValueError,
        "D",
    ),
    (
        "reformulated_forward.D.shape",
        lambda: projection.reformulated_forward(
            [torch.ones(2, 2)], [torch.ones(2, 2)], [torch.ones(2, 2)], D=torch.ones(3, 3)
        ),
        ValueError,
        "D",
    ),
    (
        "reformulated_backward.chain",
        lambda: projection.reformulated_backward([torch.ones(2, 3)], [torch.ones(3, 2)], [torch.ones(2, 2)]),
        ValueError,
        "chain",
    ),
    (
        "reformulated_backward.nan",
        lambda: projection.reformulated_backward([torch.ones(2, 2)], [torch.full((2, 2), NAN)], [torch.ones(2, 2)]),
        ValueError,
        "Gs",
    ),
    (
        "reformulated_backward.lengths",
        lambda: projection.reformulated_backward([torch.ones(2, 2)], [], [torch.ones(2, 2)]),
        ValueError,
        "equal length",
    ),
    (
        "weight_update.F_child",
        lambda: projection.weight_update(torch.ones(2, 3), torch.ones(3), torch.ones(2), torch.ones(2, 4)),
        ValueError,
        r"\bF_child\b",
    ),
    (
        "weight_update.G_parent",
        lambda: projection.weight_update(torch.ones(2, 3), torch.ones(3, 4), torch.ones(2), torch.ones(2)),
        ValueError,
        r"\bG_parent\b",
    ),
    (
        "weight_update.shape",
        lambda: projection.weight_update(torch.ones(2, 3), torch.ones(2, 2), torch.ones(2), torch.ones(2, 2)),
        ValueError,
        "chain",
    ),
    (
        "weight_update.nan",
        lambda: projection.weight_update(
            torch.ones(2, 2), torch.ones(2, 2), torch.tensor([1.0, NAN]), torch.ones(2, 2)
        ),
        ValueError,
        "lam_parent",
    ),
    (
        "weight_update.type",
        lambda: projection.weight_update([[1.0]], torch.ones(1, 1), torch.ones(1), torch.ones(1, 1)),
        TypeError,
        "P",
    ),
    ("bn_backward.shape", lambda: projection.bn_backward(torch.randn(4, 2), torch.randn(4, 3)), ValueError, "grad_out"),
    (
        "bn_backward.nan",
        lambda: projection.bn_backward(torch.tensor([[1.0], [NAN]]), torch.ones(2, 1)),
        ValueError,
        "x",
    ),
    ("bn_backward.one", lambda: projection.bn_backward(torch.ones(1, 3), torch.ones(1, 3)), ValueError, "batch of one"),
    ("bn_backward.empty", lambda: projection.bn_backward(torch.ones(0, 3), torch.ones(0, 3)), ValueError, "samples"),
    (
        "bn_backward.eps.negative",
        lambda: projection.bn_backward(torch.tensor([0.0, 1.0, 2.0]), torch.ones(3), eps=-0.1),
        ValueError,
        "eps",
    ),
    (
        "bn_backward.eps.nan",
        lambda: projection.bn_backward(torch.randn(4, 2), torch.randn(4, 2), eps=NAN),
        ValueError,
        "eps",
    ),
    (
        "bn_backward.dtype",
        lambda: projection.bn_backward(torch.ones(4, 2, dtype=torch.long), torch.ones(4, 2, dtype=torch.long)),
        TypeError,
        "x",
    ),
    (
        "bn_backward.constant",
        lambda: projection.bn_backward(torch.ones(4, 2), torch.ones(4, 2)),
        ValueError,
        "constant",
    ),
    ("bn_projector.shape", lambda: projection.bn_projector(torch.randn(3, 2)), ValueError, "f"),
    (
        "bn_projector.weights",
        lambda: projection.bn_projector(torch.randn(3), torch.tensor([1.0, -1.0, 1.0])),
        ValueError,
        "weights",
    ),
    (
        "bn_projector.weights.zero",
        lambda: projection.bn_projector(torch.randn(3), torch.zeros(3)),
        ValueError,
        "weights",
    ),
    ("bn_projector.empty", lambda: projection.bn_projector(torch.ones(0)), ValueError, "samples"),
    ("bn_projector.nan", lambda: projection.bn_projector(torch.tensor([1.0, NAN])), ValueError, "f"),
    ("bn_projector.absurd", lambda: projection.bn_projector(torch.zeros(10**6)), ValueError, "f"),
    ("bn_projector.constant", lambda: projection.bn_projector(torch.ones(4)), ValueError, "constant"),
    ("bn_projector.constant.names_f", lambda: projection.bn_projector(torch.ones(3)), ValueError, "^f is constant"),
    (
        "bn_projector.ten_thousand_and_one",
        lambda: projection.bn_projector(torch.arange(10_001.0)),
        ValueError,
        "bn_projector: 100,020,001 matrix entries .* budget of 100,000,000;",
    ),
    (
        "beta_expansion.layer",
        lambda: projection.beta_expansion([torch.ones(2, 2)] * 2, [torch.ones(2, 2)] * 2, torch.ones(2), 2),
        ValueError,
        "layer",
    ),
    (
        "beta_expansion.student.chain",
        lambda: projection.beta_expansion([torch.ones(3, 2), torch.ones(1, 4)], [torch.ones(2, 2)] * 2, torch.ones(2),
                                          1),
        ValueError,
        r"student\[1\] takes 4 inputs but student\[0\] has 3 outputs",
    ),
    (
        "beta_expansion.x.shape",
        lambda: projection.beta_expansion([torch.ones(2, 2)] * 2, [torch.ones(2, 2)] * 2, torch.ones(3), 1),
        ValueError,
        "x",
    ),
    (
        "beta_expansion.x.nan",
        lambda: projection.beta_expansion([torch.ones(2, 2)] * 2, [torch.ones(2, 2)] * 2, torch.tensor([1.0, NAN]), 1),
        ValueError,
        "x",
    ),
    (
        "beta_expansion.chain",
        lambda: projection.beta_expansion(
            [torch.ones(3, 2), torch.ones(1, 4)], [torch.ones(3, 2), torch.ones(1, 3)], torch.ones(2), 1
        ),
        ValueError,
        "student",
    ),
    (
        "beta_expansion.nan",
        lambda: projection.beta_expansion(
            [torch.full((3, 2), NAN), torch.ones(1, 3)], [torch.ones(3, 2), torch.ones(1, 3)], torch.ones(2), 1
        ),
        ValueError,
        "student",
    ),
    (
        "beta_expansion.x.type",
        lambda: projection.beta_expansion([torch.eye(2), torch.ones(1, 2)], [torch.eye(2), torch.ones(1, 2)], "x", 1),
        TypeError,
        r"^x\b",
    ),
    ("is_vertex.i.range", lambda: projection.is_vertex(np.eye(2), 2), ValueError, "i"),
    ("is_vertex.i.type", lambda: projection.is_vertex(np.eye(2), 0.5), TypeError, "i"),
    ("is_vertex.i.negative", lambda: projection.is_vertex(np.array([[0.0], [1.0], [0.5]]), -1), ValueError, "i"),
    ("is_vertex.nan", lambda: projection.is_vertex(np.array([[0.0, NAN]]), 0), ValueError, "P"),
    ("vertices.empty", lambda: projection.vertices(np.zeros((0, 2))), ValueError, "P"),
    ("vertices.absurd", lambda: projection.vertices(np.zeros((10**5, 2))), ValueError, "rows"),
    (
        "vertices.rows",
        lambda: projection.vertices(np.zeros((5001, 2))),
        ValueError,
        r"^P: 5,001 rows \(one LP per row\) exceed the budget of 5,000;",
    ),
    ("separating_weights.shape", lambda: projection.separating_weights(np.zeros(3)), ValueError, "P"),
    ("separating_weights.absurd", lambda: projection.separating_weights(np.zeros((10**5, 2))), ValueError, "rows"),
    ("kron.empty", lambda: projection.kron(), ValueError, "factor"),
    ("kron.type", lambda: projection.kron(torch.ones(2), [1.0]), TypeError, "mats"),
    (
        "disentanglement_residual.nan",
        lambda: projection.disentanglement_residual(torch.tensor([1.0, NAN]), (2,), 0),
        ValueError,
        "v",
    ),
    (
        "disentanglement_residual.shape",
        lambda: projection.disentanglement_residual(torch.ones(3), (2, 2), 0),
        ValueError,
        "entries",
    ),
    (
        "disentanglement_residual.factor",
        lambda: projection.disentanglement_residual(torch.ones(4), (2, 2), 2),
        ValueError,
        "factor",
    ),
    (
        "disentanglement_residual.factor.negative",
        lambda: projection.disentanglement_residual(torch.ones(6), (2, 3), -1),
        ValueError,
        "factor",
    ),
    (
        "disentanglement_residual.matrix",
        lambda: projection.disentanglement_residual(torch.ones(2, 3), (2, 3), 0),
        ValueError,
        "v",
    ),
    (
        "disentanglement_residual.zero",
        lambda: projection.disentanglement_residual(torch.ones(0), (0, 2), 0),
        ValueError,
        "shape",
    ),
    (
        "independence_gap.weights.nan",
        lambda: projection.independence_gap([0, 1], [0, 1], [0, 0], torch.tensor([1.0, NAN])),
        ValueError,
        "weights",
    ),
    (
        "independence_gap.weights.neg",
        lambda: projection.independence_gap([0, 1], [0, 1], [0, 0], torch.tensor([1.0, -1.0])),
        ValueError,
        "weights",
    ),
    (
        "independence_gap.shape",
        lambda: projection.independence_gap([0, 1, 1], [0, 1], [0, 0], torch.ones(2)),
        ValueError,
        "shape",
    ),
    (
        "independence_gap.coarse",
        lambda: projection.independence_gap([0, 1], [0, 0], [0, 1], torch.ones(2)),
        ValueError,
        "function of fine",
    ),
    (
        "independence_gap.float",
        lambda: projection.independence_gap([0.5, 1.0], [0, 1], [0, 0], torch.ones(2)),
        TypeError,
        "code",
    ),
    ("independence_gap.empty", lambda: projection.independence_gap([], [], [], torch.ones(0)), ValueError, "empty"),
    (
        "conditional_covariance.shape",
        lambda: projection.conditional_covariance(torch.ones(3, 2), torch.ones(3, 3), [0, 0, 0], torch.ones(3), 1),
        ValueError,
        "b",
    ),
    (
        "conditional_covariance.nan",
        lambda: projection.conditional_covariance(
            torch.ones(3), torch.tensor([1.0, NAN, 0.0]), [0, 0, 0], torch.ones(3), 1
        ),
        ValueError,
        r"^b\b",
    ),
    (
        "conditional_mean.values.numpy",
        lambda: projection.conditional_mean(np.ones(3), [0, 0, 0], torch.ones(3), 1),
        TypeError,
        "torch.as_tensor",
    ),
    (
        "beta_expansion.student.type",
        lambda: projection.beta_expansion(torch.ones(2, 2, 2), [torch.eye(2), torch.ones(1, 2)], torch.ones(2), 1),
        TypeError,
        "student",
    ),
    (
        "beta_expansion.sizes",
        lambda: projection.beta_expansion(
            [torch.ones(3, 2), torch.ones(1, 3)], [torch.ones(3, 2), torch.ones(2, 3)], torch.ones(2), 1
        ),
        ValueError,
        "same input and output",
    ),
    (
        "marginal_tables.events.type",
        lambda: projection.marginal_tables(_tree(), *_tables_args()[:2], np.zeros((3, 16, 4)), _tables_args()[3]),
        TypeError,
        "events",
    ),
    ("marginal_tables.net.type", lambda: projection.marginal_tables("net", *_tables_args()), TypeError, "net"),
    (
        "marginal_tables.events.rows",
        lambda: projection.marginal_tables(_tree(), *_tables_args()[:2], [e[:15] for e in _tables_args()[2]],
                                           _tables_args()[3]),
        ValueError,
        r"events\[0\] must have shape \(16, ",
    ),
    (
        "marginal_tables.target.ndim",
        lambda: projection.marginal_tables(_tree(), _tables_args()[0], torch.zeros(16, 3), *_tables_args()[2:]),
        ValueError,
        "target",
    ),
    (
        "marginal_tables.events.count",
        lambda: projection.marginal_tables(_tree(), *_tables_args()[:2], _tables_args()[2][:2], _tables_args()[3]),
        ValueError,
        "events",
    ),
    (
        "marginal_tables.events.shape",
        lambda: projection.marginal_tables(
            _tree(), *_tables_args()[:2], [np.zeros((16, 3), dtype=int)] * 3, _tables_args()[3]
        ),
        ValueError,
        r"events\[0\]",
    ),
    (  # the events' type is checked before their shape (was: after)
        "marginal_tables.events.float.shape",
        lambda: projection.marginal_tables(
            _tree(), *_tables_args()[:2], [np.full((16, 3), 0.5)] * 3, _tables_args()[3]
        ),
        TypeError,
        r"^events\[0\] must hold integer events",
    ),
    (
        "marginal_tables.events.empty",
        lambda: projection.marginal_tables(
            _tree(), *_tables_args()[:2], [z + (z == 0) for z in _tables_args()[2]], _tables_args()[3]
        ),
        ValueError,
        "zero mass",
    ),
    (
        "marginal_tables.weights.shape",
        lambda: projection.marginal_tables(_tree(), *_tables_args()[:3], torch.ones(15)),
        ValueError,
        "weights",
    ),
    (
        "marginal_tables.x.numpy",
        lambda: projection.marginal_tables(_tree(), np.zeros((16, 2, 4)), *_tables_args()[1:]),
        TypeError,
        "x",
    ),
    (
        "conditions.tables.type",
        lambda: projection.conditions({}, ladder.all_inputs(4), _tables_args()[2], torch.ones(16)),
        TypeError,
        "tables",
    ),
    # conditions checks X, events, weights and values once at entry (was: inside its loops, or not at all)
    (
        "conditions.X.range",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4) * 2, *_tables_args()[2:]),
        ValueError,
        "X",
    ),
    (
        "conditions.X.shape",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4)[:, :3], *_tables_args()[2:]),
        ValueError,
        "X",
    ),
    (
        "conditions.events.range",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4), [z + 5 for z in _tables_args()[2]], torch.ones(16)),
        ValueError,
        r"^events\[0\]",
    ),
    (
        "conditions.events.count",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4), _tables_args()[2][:2], _tables_args()[3]),
        ValueError,
        "^events",
    ),
    (
        "conditions.weights.shape",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4), _tables_args()[2], torch.ones(15)),
        ValueError,
        "^weights",
    ),
    (
        "conditions.values",
        lambda: projection.conditions(_tbl(), ladder.all_inputs(4), *_tables_args()[2:], values=1),
        ValueError,
        "^values",
    ),
    (  # was: "z must hold events in [0, m)", from the conditional_mean it called per node
        "marginal_tables.events.negative",
        lambda: projection.marginal_tables(
            _tree(), *_tables_args()[:2], [z - 1 for z in _tables_args()[2]], torch.ones(16)
        ),
        ValueError,
        r"^events\[0\]",
    ),
    (  # was: "values must have a non-empty sample dimension", from the conditional_mean it called
        "conditional_covariance.empty",
        lambda: projection.conditional_covariance(torch.ones(0), torch.ones(0), [], torch.ones(0), 1),
        ValueError,
        "^a must have a non-empty sample dimension",
    ),
    # ------------------------------------------------------------ regions_nd, lattice, piece_counts
    ("regions_nd.type", lambda: regions_nd.regions_nd("net", (0, 1) * 3), TypeError, "^model"),
    ("regions_nd.dim", lambda: regions_nd.regions_nd(fc.mlp([1, 2, 1], seed=0), (0, 1)), ValueError, "^model must map"),
    ("regions_nd.box", lambda: regions_nd.regions_nd(fc.mlp([3, 2, 1], seed=0), (0, 1)), ValueError, "^box"),
    (
        "regions_nd.box.order",
        lambda: regions_nd.regions_nd(fc.mlp([2, 2, 1], seed=0), (1, 0, 0, 1)),
        ValueError,
        "^box",
    ),
    (
        "regions_nd.box.nan",
        lambda: regions_nd.regions_nd(fc.mlp([2, 2, 1], seed=0), (0, NAN, 0, 1)),
        ValueError,
        r"^box\[1\]",
    ),
    (
        "regions_nd.max_cells",
        lambda: regions_nd.regions_nd(fc.mlp([2, 2, 1], seed=0), (0, 1) * 2, max_cells=0),
        ValueError,
        "^max_cells",
    ),
    (
        "RegionsND.polygons.dim",
        lambda: regions_nd.regions_nd(fc.mlp([3, 2, 1], seed=0), (-1, 1) * 3).polygons,
        ValueError,
        "polygons",
    ),
    (
        "count_regions_nd.mode",
        lambda: regions_nd.count_regions_nd(fc.mlp([2, 2, 1], seed=0), (0, 1) * 2, mode="x"),
        ValueError,
        "^mode",
    ),
    ("lattice_formula.type", lambda: lattice.lattice_formula("regions"), TypeError, "^regions"),
    ("lattice_formula.drop", lambda: lattice.lattice_formula(_rnd(), drop=10**6), ValueError, "^drop"),
    (
        "LatticeFormula.evaluate.shape",
        lambda: lattice.lattice_formula(_rnd()).evaluate(np.zeros((2, 3))),
        ValueError,
        "^X",
    ),
    (
        "signed_max_terms.shape",
        lambda: lattice.signed_max_terms(np.zeros((3, 2)), np.zeros(2)),
        ValueError,
        "^A must be",
    ),
    ("signed_max_terms.nan", lambda: lattice.signed_max_terms(np.full((3, 2), NAN), np.zeros(3)), ValueError, r"^A .*infinite"),
    (
        "signed_max_terms.seed",
        lambda: lattice.signed_max_terms(np.zeros((3, 2)), np.zeros(3), seed=-1),
        ValueError,
        "^seed",
    ),
    ("wang_sun_form.type", lambda: lattice.wang_sun_form([1, 2]), TypeError, "^regions"),
    ("count_hinges.type", lambda: lattice.count_hinges(None), TypeError, "^regions"),
    ("wang_sun_form.drop", lambda: lattice.wang_sun_form(_rnd(), drop=-1), ValueError, "^drop"),
    # relulab.check.array (before: NaN gave NaN, complex values lost their imaginary parts)
    ("LatticeFormula.evaluate.nan", lambda: lattice.lattice_formula(_rnd()).evaluate([[NAN, 0.0]]), ValueError, "^X"),
    ("WangSunForm.evaluate.complex", lambda: lattice.wang_sun_form(_rnd()).evaluate([[1j, 0.0]]), TypeError, "^X"),
    ("WangSunForm.evaluate.shape", lambda: lattice.wang_sun_form(_rnd()).evaluate(np.zeros(3)), ValueError, "^X"),
    ("count_zonotope_pieces.n", lambda: piece_counts.count_zonotope_pieces(1, 3, 2, 1), ValueError, "^n"),
    ("count_zonotope_pieces.type", lambda: piece_counts.count_zonotope_pieces(2, 3.0, 2, 1), TypeError, "^m"),
    ("count_montufar_regions.widths", lambda: piece_counts.count_montufar_regions(3, [2]), ValueError, r"^widths\[0\]"),
    ("montufar_net.seed", lambda: piece_counts.montufar_net(2, [2], seed=-1), ValueError, "^seed"),
    ("montufar_net.widths.type", lambda: piece_counts.montufar_net(2, "22"), TypeError, "^widths"),
    # refused before any allocation (PWLNet.to_torch would refuse it after building the arrays)
    ("montufar_net.widths.size", lambda: piece_counts.montufar_net(1, [10**5, 10**5]), ValueError, "^widths"),
    (
        "count_zonotope_pieces_inside.M",
        lambda: piece_counts.count_zonotope_pieces_inside(_rnd(), np.eye(2), 0.0),
        ValueError,
        "^M",
    ),
    ("count_zonotope_pieces_inside.regions", lambda: piece_counts.count_zonotope_pieces_inside(5, np.eye(2), 1.0),
     TypeError, "^regions"),
    ("count_zonotope_pieces_inside.B", lambda: piece_counts.count_zonotope_pieces_inside(_rnd(), "B", 1.0),
     TypeError, "^B"),
    # ------------------------------------------------------------ pwl
    ("PWLNet.empty", lambda: pwl.PWLNet([]), ValueError, "layers"),
    ("PWLNet.layers.type", lambda: pwl.PWLNet(5), TypeError, r"^layers must be a list or tuple, got int"),
    ("PWLNet.layer.type", lambda: pwl.PWLNet([5]), TypeError, r"^layer 0 must be a pair \(W, b\)"),
    ("PWLNet.shape", lambda: pwl.PWLNet([(np.ones((2, 1)), np.ones(3))]), ValueError, "layer 0"),
    ("PWLNet.nan", lambda: pwl.PWLNet([(np.full((2, 1), NAN), np.ones(2))]), ValueError, "layer 0"),
    ("PWLNet.type", lambda: pwl.PWLNet([([[1.0]], [0.0])]), TypeError, "layer 0"),
    ("PWLNet.call.nan", lambda: _pwl()(np.array([NAN])), ValueError, "X"),
    ("PWLNet.call.shape", lambda: _pwl()(np.zeros((2, 3))), ValueError, "X"),
    ("PWLNet.call.empty", lambda: _pwl()(np.zeros(0)), ValueError, "X"),
    ("PWLNet.call.3d", lambda: _pwl()(np.zeros((2, 1, 1))), ValueError, "^X must be 2-dimensional"),  # was (2, 1, 1)
    ("PWLNet.call.0d", lambda: _pwl()(np.array(0.5)), ValueError, "^X must be 2-dimensional"),  # was an IndexError
    ("PWLNet.call.complex", lambda: _pwl()(np.array([1j])), TypeError, "^X must be an array of real numbers"),
    ("PWLNet.call.columns", lambda: pwl.max_net(3)(np.zeros((4, 2))), ValueError, "columns"),
    (
        "PWLNet.to_torch.absurd",
        lambda: pwl.PWLNet(
            [
                (np.zeros((10**4, 2)), np.zeros(10**4)),
                (sp.csr_matrix((10**4, 10**4)), np.zeros(10**4)),
                (np.zeros((1, 10**4)), np.zeros(1)),
            ]
        ).to_torch(),
        ValueError,
        "to_torch",
    ),
    (
        "from_sequential.module",
        lambda: pwl.from_sequential(nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1))),
        TypeError,
        "Tanh",
    ),
    (
        "from_sequential.nan",
        lambda: pwl.from_sequential(
            nn.Sequential(nn.Linear(1, 1)).apply(
                lambda m: nn.init.constant_(m.weight, NAN) if isinstance(m, nn.Linear) else None
            )
        ),
        ValueError,
        "layer 0",
    ),
    ("from_sequential.type", lambda: pwl.from_sequential(nn.Linear(2, 2)), TypeError, "^from_sequential needs"),
    (
        "from_sequential.module.index",
        lambda: pwl.from_sequential(nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))),
        TypeError,
        "layer 1 is Tanh",
    ),
    # an empty Sequential: ValueError, as everywhere else (was TypeError "must end with a Linear layer")
    ("from_sequential.empty", lambda: pwl.from_sequential(nn.Sequential()), ValueError, "no layers"),
    (
        "from_sequential.consecutive",  # a PWLNet has a ReLU between any two maps: two adjacent Linear are refused
        lambda: pwl.from_sequential(nn.Sequential(nn.Linear(1, 2), nn.Linear(2, 1))),
        TypeError,
        "layer 1 is Linear; expected ReLU",
    ),
    # was read; now refused like in every other reader
    ("from_sequential.shared", lambda: pwl.from_sequential(_shared_relu()), ValueError, "appears twice"),
    ("affine.shape", lambda: pwl.affine(np.ones((2, 2)), np.ones(3)), ValueError, "c"),
    ("affine.nan", lambda: pwl.affine(np.full((1, 1), NAN), np.ones(1)), ValueError, "A"),
    ("affine.empty", lambda: pwl.affine(np.ones((0, 2)), np.ones(0)), ValueError, "A"),
    ("compose.type", lambda: pwl.compose(_pwl(), "inner"), TypeError, "inner"),
    ("compose.shape", lambda: pwl.compose(pwl.identity(2, 0), _pwl()), ValueError, "inner"),
    ("compose.widths", lambda: pwl.compose(pwl.max_net(3), pwl.max_net(2)), ValueError, "expects"),
    ("identity.d", lambda: pwl.identity(0, 1), ValueError, "d"),
    ("identity.type", lambda: pwl.identity(2.0, 1), TypeError, "d"),
    ("identity.absurd", lambda: pwl.identity(10**6, 1), ValueError, "d"),
    ("identity.hidden_layers.absurd", lambda: pwl.identity(2, 10**7), ValueError, "hidden_layers"),
    ("pad.type", lambda: pwl.pad(_pwl(), 2.5), TypeError, "hidden_layers"),
    ("pad.net.type", lambda: pwl.pad("net", 1), TypeError, "net"),
    ("pad.fewer", lambda: pwl.pad(pwl.identity(1, 2), 1), ValueError, "hidden layers"),
    ("parallel.empty", lambda: pwl.parallel([]), ValueError, "nets"),
    ("parallel.type", lambda: pwl.parallel([_pwl(), "net"]), TypeError, "nets\\[1\\]"),
    ("parallel.nets.type", lambda: pwl.parallel(_pwl()), TypeError, "nets"),
    ("parallel.depths", lambda: pwl.parallel([pwl.max_net(2), pwl.max_net(4)]), ValueError, "hidden layers"),
    ("linear_combination.coeffs.nan", lambda: pwl.linear_combination([_pwl()], [NAN]), ValueError, "coeffs"),
    ("linear_combination.count", lambda: pwl.linear_combination([_pwl()], [1.0, 2.0]), ValueError, "coefficients"),
    ("linear_combination.nets.type", lambda: pwl.linear_combination(5, [1.0]), TypeError, "nets"),
    ("max_net.q", lambda: pwl.max_net(0), ValueError, "q"),
    ("max_net.absurd", lambda: pwl.max_net(10**8), ValueError, "q"),
    ("max_net.levels", lambda: pwl.max_net(4, levels=5), ValueError, "levels"),
    ("max_net.levels.few", lambda: pwl.max_net(4, levels=3), ValueError, "levels"),
    ("max_affine.nan", lambda: pwl.max_affine(np.array([[NAN]]), [0.0]), ValueError, "A"),
    ("wang_sun.empty", lambda: pwl.wang_sun([]), ValueError, "terms"),
    (
        "wang_sun.input_dims",
        lambda: pwl.wang_sun([(1.0, np.eye(2), np.zeros(2)), (1.0, np.ones((1, 3)), np.zeros(1))]),
        ValueError,
        r"^every term must have the same input dimension",
    ),
    ("wang_sun.terms.type", lambda: pwl.wang_sun(5), TypeError, "terms"),
    ("wang_sun.term.type", lambda: pwl.wang_sun([5]), TypeError, r"^terms\[0\] must be a triple \(s, A, c\)"),
    ("wang_sun.term.pair", lambda: pwl.wang_sun([(1.0, np.eye(2))]), TypeError, r"^terms\[0\] must be a triple"),
    ("wang_sun.s.nan", lambda: pwl.wang_sun([(NAN, np.eye(2), np.zeros(2))]), ValueError, "terms\\[0\\]"),
    (
        "wang_sun.levels_cut",
        lambda: pwl.wang_sun([(1.0, np.eye(2), np.zeros(2))], levels_cut=-1),
        ValueError,
        "levels_cut",
    ),
    ("pwl_1d.value.nan", lambda: pwl.pwl_1d([0.0], [1.0, 2.0], NAN), ValueError, "value"),
    ("pwl_1d_fewest.absurd", lambda: pwl.pwl_1d_fewest(np.arange(20.0), np.zeros(21), 0.0), ValueError, r"2\^"),
    ("pwl_1d_fewest.slopes", lambda: pwl.pwl_1d_fewest([0.0], [1.0], 0.0), ValueError, "slopes"),
    ("pwl_1d.value.type", lambda: pwl.pwl_1d([0.0], [1.0, 2.0], "0"), TypeError, "value"),
    ("pwl_1d.slopes.empty", lambda: pwl.pwl_1d([], [], 0.0), ValueError, "slopes"),
    ("pwl_1d.slopes.inf", lambda: pwl.pwl_1d([0.0], [1.0, INF], 0.0), ValueError, "slopes"),
    (
        "pwl_1d.breakpoints.order",
        lambda: pwl.pwl_1d([1.0, 0.0], [1.0, 2.0, 3.0], 0.0),
        ValueError,
        "strictly increasing",
    ),
    ("pwl_1d.slopes.count", lambda: pwl.pwl_1d([0.0], [1.0], 0.0), ValueError, "p - 1 breakpoints"),
    ("pwl_1d.breakpoints.nan", lambda: pwl.pwl_1d([NAN], [1.0, 2.0], 0.0), ValueError, "NaN"),
    ("pwl_eval.value.nan", lambda: pwl.pwl_eval([0.0], [1.0, 2.0], NAN, [0.0]), ValueError, "value"),
    (
        "pwl_eval.order",
        lambda: pwl.pwl_eval([1.0, 0.0], [1.0, 2.0, 3.0], 0.0, [0.0]),
        ValueError,
        "strictly increasing",
    ),
    ("pwl_eval.x.nan", lambda: pwl.pwl_eval([0.0], [1.0, 2.0], 0.0, [NAN]), ValueError, "x"),
    ("pwl_from_points.short", lambda: pwl.pwl_from_points([0.0], [0.0]), ValueError, "length"),
    (
        "pwl_from_points.slope.nan",
        lambda: pwl.pwl_from_points([0.0, 1.0], [0.0, 1.0], left_slope=NAN),
        ValueError,
        "left_slope",
    ),
    ("pwl_from_points.order", lambda: pwl.pwl_from_points([1.0, 0.0], [0.0, 1.0]), ValueError, "strictly increasing"),
    # ------------------------------------------------------------ regions
    (
        "affine_layers.module",
        lambda: regions.affine_layers(nn.Sequential(nn.Linear(1, 2), nn.Tanh())),
        TypeError,
        "Tanh",
    ),
    ("affine_layers.empty", lambda: regions.affine_layers(nn.Sequential()), ValueError, "no layers"),
    (
        "affine_layers.nan",
        lambda: regions.affine_layers(
            nn.Sequential(nn.Linear(1, 1)).apply(
                lambda m: nn.init.constant_(m.bias, NAN) if isinstance(m, nn.Linear) else None
            )
        ),
        ValueError,
        "NaN",
    ),
    (
        "affine_layers.relu_first",
        lambda: regions.affine_layers(nn.Sequential(nn.ReLU(), nn.Linear(2, 1))),
        TypeError,
        "layer 0 is ReLU; expected Linear",
    ),
    (
        "affine_layers.relu_twice",
        lambda: regions.affine_layers(nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.ReLU(), nn.Linear(2, 1))),
        TypeError,
        "layer 2 is ReLU; expected Linear",
    ),
    (
        "affine_layers.relu_last",  # was read (a last relu_after=True); the last layer must be Linear, as everywhere
        lambda: regions.affine_layers(nn.Sequential(nn.Linear(1, 2), nn.ReLU())),
        TypeError,
        "last layer must be Linear",
    ),
    (
        "pieces_1d.relu_last",
        lambda: regions.pieces_1d(nn.Sequential(nn.Linear(1, 1), nn.ReLU()), 0.0, 1.0),
        TypeError,
        "^pieces_1d: the last layer must be Linear",
    ),
    ("pieces_1d.lo.nan", lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), NAN, 1.0), ValueError, "lo"),
    ("pieces_1d.hi.type", lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), 0.0, "1"), TypeError, "hi"),
    ("pieces_1d.empty_interval", lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), 1.0, 1.0), ValueError, "lo < hi"),
    ("pieces_1d.d_in", lambda: regions.pieces_1d(_net(), 0.0, 1.0), ValueError, "1 input"),
    (
        "pieces_1d.max_pieces",
        lambda: regions.pieces_1d(fc.mlp([1, 8, 8, 1], seed=0), -5.0, 5.0, max_pieces=1),
        ValueError,
        r"^max_pieces: \d+ intervals exceed the budget of 1;",
    ),
    # max_pieces is checked at entry (before: "a" gave "'>' not supported", 0 and 2.5 were taken)
    (
        "pieces_1d.max_pieces.str",
        lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), 0.0, 1.0, max_pieces="a"),
        TypeError,
        "^max_pieces",
    ),
    (
        "pieces_1d.max_pieces.float",
        lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), 0.0, 1.0, max_pieces=2.5),
        TypeError,
        "^max_pieces",
    ),
    (
        "pieces_1d.max_pieces.zero",
        lambda: regions.pieces_1d(fc.mlp([1, 2, 1], seed=0), 0.0, 1.0, max_pieces=0),
        ValueError,
        "^max_pieces must be >= 1",
    ),
    (
        "count_pieces_1d.outputs",
        lambda: regions.count_pieces_1d(fc.mlp([1, 2, 2], seed=0), 0.0, 1.0),
        ValueError,
        "one output",
    ),
    ("max_pieces_1d_bound.zero", lambda: regions.max_pieces_1d_bound([2, 0]), ValueError, "widths"),
    ("max_pieces_1d_bound.empty", lambda: regions.max_pieces_1d_bound([]), ValueError, "widths"),
    ("max_pieces_1d_bound.type", lambda: regions.max_pieces_1d_bound([2.5]), TypeError, "widths"),
    ("regions_2d.box.len", lambda: regions.regions_2d(fc.mlp([2, 2, 1], seed=0), (0, 1, 0)), ValueError, "box"),
    (
        "regions_2d.box.nan",
        lambda: regions.regions_2d(fc.mlp([2, 2, 1], seed=0), (0, 1, 0, NAN)),
        ValueError,
        "box\\[3\\]",
    ),
    (
        "regions_2d.max_cells",
        lambda: regions.regions_2d(fc.mlp([2, 8, 8, 1], seed=0), (-3, 3, -3, 3), max_cells=2),
        ValueError,
        "max_cells",
    ),
    ("regions_2d.d_in", lambda: regions.regions_2d(fc.mlp([1, 2, 1], seed=0), (0, 1, 0, 1)), ValueError, "2 input"),
    (
        "regions_2d.max_cells.zero",
        lambda: regions.regions_2d(fc.mlp([2, 2, 1], seed=0), (0, 1, 0, 1), max_cells=0),
        ValueError,
        "max_cells",
    ),
    (
        "count_regions_2d.mode",
        lambda: regions.count_regions_2d(fc.mlp([2, 2, 1], seed=0), (0, 1, 0, 1), mode="cells"),
        ValueError,
        "mode",
    ),
    (
        "count_pieces_1d.order",
        lambda: regions.count_pieces_1d(fc.mlp([1, 3, 1], seed=0), 1.0, 0.0),
        ValueError,
        "lo < hi",
    ),
    ("count_pieces_1d.inf", lambda: regions.count_pieces_1d(fc.mlp([1, 3, 1], seed=0), 0.0, INF), ValueError, "finite"),
    (
        "count_pieces_1d.lo.type",
        lambda: regions.count_pieces_1d(fc.mlp([1, 3, 1], seed=0), "0", 1),
        TypeError,
        "real number",
    ),
    ("count_pieces_1d.d_in", lambda: regions.count_pieces_1d(fc.mlp([2, 3, 1], seed=0), 0, 1), ValueError, "1 input"),
    (
        "count_pieces_1d.module",
        lambda: regions.count_pieces_1d(nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)), 0, 1),
        TypeError,
        "Tanh",
    ),
    ("count_pieces_1d.model.type", lambda: regions.count_pieces_1d(nn.Linear(1, 1), 0, 1), TypeError, "nn.Sequential"),
    (
        "count_pieces_1d.nan",
        lambda: regions.count_pieces_1d(_nan_weight(fc.mlp([1, 3, 1], seed=0)), 0, 1),
        ValueError,
        "NaN",
    ),
    (
        "count_regions_2d.box.len",
        lambda: regions.count_regions_2d(fc.mlp([2, 3, 1], seed=0), (0, 1, 0)),
        ValueError,
        "box",
    ),
    (
        "count_regions_2d.box.order",
        lambda: regions.count_regions_2d(fc.mlp([2, 3, 1], seed=0), (1, 0, 0, 1)),
        ValueError,
        "box must have lo_i < hi_i",
    ),
    (
        "count_regions_2d.outputs",
        lambda: regions.count_regions_2d(fc.mlp([2, 3, 2], seed=0), (0, 1, 0, 1)),
        ValueError,
        "one output",
    ),
    ("zigzag_net.a.repeat", lambda: pwl.zigzag_net([0.5, 0.5]), ValueError, "a must not repeat"),
    ("zigzag_net.M", lambda: pwl.zigzag_net([0.5], M=-1.0), ValueError, "M"),
    ("zigzag_coefficients.M", lambda: pwl.zigzag_coefficients([0.5], M=0.0), ValueError, "M"),
    ("zigzag_coefficients.a.empty", lambda: pwl.zigzag_coefficients([]), ValueError, "a must"),
    ("zigzag_coefficients.a.nan", lambda: pwl.zigzag_coefficients([NAN]), ValueError, "^a contains NaN"),
    ("zigzag_coefficients.a.type", lambda: pwl.zigzag_coefficients("abc"), TypeError, "^a must be an array"),
    ("zigzag_coefficients.a.repeat", lambda: pwl.zigzag_coefficients([0.5, 0.5]), ValueError, "zero-length"),
    (
        "zigzag_coefficients.M.type",
        lambda: pwl.zigzag_coefficients([0.5], "1"),
        TypeError,
        r"^M must be a real number",
    ),
    ("zigzag.x.nan", lambda: pwl.zigzag([0.5], [NAN]), ValueError, "x"),
    ("zigzag_composition_net.empty", lambda: pwl.zigzag_composition_net([]), ValueError, "a_list"),
    ("zigzag_composition_net.type", lambda: pwl.zigzag_composition_net(5), TypeError, "^a_list must be a list"),
    (
        "zigzag_composition_net.absurd",
        lambda: pwl.zigzag_composition_net([np.linspace(0.1, 0.9, 10**4)] * 10**3),
        ValueError,
        "a_list",
    ),
    ("random_simplex_point.p", lambda: pwl.random_simplex_point(0, seed=0), ValueError, "p must"),
    ("random_simplex_point.M", lambda: pwl.random_simplex_point(2, M=NAN, seed=0), ValueError, "M"),
    ("random_simplex_point.M.zero", lambda: pwl.random_simplex_point(2, M=0.0, seed=0), ValueError, "M"),
    (
        "random_simplex_point.min_gap",
        lambda: pwl.random_simplex_point(2, seed=0, min_gap=1.5),
        ValueError,
        "min_gap",
    ),
    ("random_simplex_point.absurd", lambda: pwl.random_simplex_point(10**9, seed=0), ValueError, "p"),
    ("random_simplex_point.seed", lambda: pwl.random_simplex_point(2, seed=-1), ValueError, "seed"),
    (
        "zigzag_parameters_from_breakpoints.length",
        lambda: pwl.zigzag_parameters_from_breakpoints([0.5], 2, 2),
        ValueError,
        "breakpoints",
    ),
    (
        "zigzag_parameters_from_breakpoints.order",
        lambda: pwl.zigzag_parameters_from_breakpoints([0.6, 0.5, 0.7], 2, 2),
        ValueError,
        "breakpoints",
    ),
    (
        "zigzag_parameters_from_breakpoints.w",
        lambda: pwl.zigzag_parameters_from_breakpoints([0.5], 1, 2),
        ValueError,
        "w",
    ),
    (
        "zigzag_parameters_from_breakpoints.absurd",
        lambda: pwl.zigzag_parameters_from_breakpoints([0.5], 10, 30),
        ValueError,
        "budget",
    ),
    # ------------------------------------------------------------ fits
    (
        "fit_relu.X.ndim",
        lambda: fits.fit_relu(
            torch.zeros(3), torch.zeros(3), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0
        ),
        ValueError,
        "X",
    ),
    (
        "fit_relu.y.shape",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(4), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0
        ),
        ValueError,
        "y",
    ),
    (
        "fit_relu.X_val.shape",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(3), [2], X_val=torch.zeros(3, 2), y_val=torch.zeros(3), seed=0
        ),
        ValueError,
        "X_val",
    ),
    (
        "fit_relu.X.numpy",
        lambda: fits.fit_relu(
            np.zeros((3, 1)), torch.zeros(3), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0
        ),
        TypeError,
        "X",
    ),
    (
        "fit_relu.y.nan",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.full((3,), NAN), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0
        ),
        ValueError,
        "y",
    ),
    (
        "fit_relu.widths",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(3), [0], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0
        ),
        ValueError,
        r"widths\[0\]",
    ),
    (
        "fit_relu.restarts",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(3), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0, restarts=0
        ),
        ValueError,
        "restarts",
    ),
    (
        "fit_relu.seed",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(3), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=-2
        ),
        ValueError,
        "seed",
    ),
    (
        "fit_relu.lr",
        lambda: fits.fit_relu(
            torch.zeros(3, 1), torch.zeros(3), [2], X_val=torch.zeros(3, 1), y_val=torch.zeros(3), seed=0, lr=0.0
        ),
        ValueError,
        "lr",
    ),
    (
        "fit_relu.absurd",
        lambda: fits.fit_relu(
            torch.zeros(3, 1),
            torch.zeros(3),
            [10**9],
            X_val=torch.zeros(3, 1),
            y_val=torch.zeros(3),
            seed=0,
            restarts=10,
        ),
        ValueError,
        "budget",
    ),
    (
        "l1_distance_1d.interval",
        lambda: fits.l1_distance_1d(fc.mlp([1, 2, 1], seed=0), fc.mlp([1, 2, 1], seed=1), 1.0, 0.0),
        ValueError,
        "lo < hi",
    ),
    (
        "l1_distance_1d.lo",
        lambda: fits.l1_distance_1d(fc.mlp([1, 2, 1], seed=0), fc.mlp([1, 2, 1], seed=1), NAN, 1.0),
        ValueError,
        "lo",
    ),
    (
        "l1_distance_1d.net",
        lambda: fits.l1_distance_1d(_net(), fc.mlp([1, 2, 1], seed=1), 0.0, 1.0),
        ValueError,
        "1 input",
    ),
    ("tent_l1_floor.order", lambda: fits.tent_l1_floor(0.0, 2.0, 1.0, 1.0), ValueError, "x0 < x1 < x2"),
    ("tent_l1_floor.top", lambda: fits.tent_l1_floor(0.0, 1.0, 2.0, "1"), TypeError, "top"),
    (
        "arrangement_vertices.A",
        lambda: fits.arrangement_vertices(torch.zeros(3, 3), torch.zeros(3), (0, 1, 0, 1)),
        ValueError,
        "A",
    ),
    (
        "arrangement_vertices.c",
        lambda: fits.arrangement_vertices(torch.zeros(3, 2), torch.zeros(2), (0, 1, 0, 1)),
        ValueError,
        "c",
    ),
    (
        "arrangement_vertices.box",
        lambda: fits.arrangement_vertices(torch.zeros(3, 2), torch.zeros(3), (0, 1, 1, 0)),
        ValueError,
        "box",
    ),
    (
        "arrangement_vertices.absurd",
        lambda: fits.arrangement_vertices(torch.zeros(20000, 2), torch.zeros(20000), (0, 1, 0, 1)),
        ValueError,
        "budget",
    ),
    ("zonotope_support.shape", lambda: pwl.zonotope_support(np.ones((2, 2)), np.ones(3)), ValueError, "r"),
    ("zonotope_support.nan", lambda: pwl.zonotope_support(np.ones((2, 2)), np.array([NAN, 0.0])), ValueError, "r"),
    ("zonotope_support.B.empty", lambda: pwl.zonotope_support(np.ones((0, 2)), np.ones(2)), ValueError, "B"),
    ("zonotope_support_net.nan", lambda: pwl.zonotope_support_net(np.array([[NAN, 1.0]])), ValueError, "B"),
    ("zonotope_support_net.shape", lambda: pwl.zonotope_support_net(np.ones(3)), ValueError, "shape"),
    ("zonotope_net.a_list", lambda: pwl.zonotope_net(np.eye(2), []), ValueError, "a_list"),
    ("zonotope_net.a_list.type", lambda: pwl.zonotope_net(np.eye(2), 5), TypeError, "^a_list must be a list"),
    ("zonotope_vertices.absurd", lambda: pwl.zonotope_vertices(np.ones((30, 2))), ValueError, "2\\^m"),
    (
        "zonotope_vertices.absurd.21",
        lambda: pwl.zonotope_vertices(np.ones((21, 2))),
        ValueError,
        r"2\^m = 2097152 sign vectors; m=21 > 20",
    ),
    ("zonotope_vertices.shape", lambda: pwl.zonotope_vertices(np.ones(3)), ValueError, "B"),
    ("count_zonotope_vertices.n", lambda: pwl.count_zonotope_vertices(0, 2), ValueError, "n"),
    ("count_zonotope_vertices.type", lambda: pwl.count_zonotope_vertices(2.5, 2), TypeError, "n"),
    # the checking module itself and the chapters' helpers
    ("integer.bool", lambda: check.integer("width", True), TypeError, "width"),
    ("integer.low", lambda: check.integer("width", 0, low=1), ValueError, "width"),
    ("integers.str", lambda: check.integers("widths", "12"), TypeError, "widths"),
    ("integers.entry", lambda: check.integers("widths", [2, 0], low=1), ValueError, "widths\\[1\\]"),
    ("integers.length", lambda: check.integers("groups", [0, 1], length=3), ValueError, "^groups must have 3 entries"),
    ("integers.float_tensor", lambda: check.integers("groups", torch.zeros(2)), TypeError, "^groups must be an integer"),
    ("seed.negative", lambda: check.seed(-1), ValueError, "seed"),
    ("real.nan", lambda: check.real("lr", NAN), ValueError, "lr"),
    ("real.open", lambda: check.real("lr", 0.0, low=0.0, open_low=True), ValueError, "lr"),
    ("choice.unknown", lambda: check.choice("mode", "cells", ("pieces", "regions")), ValueError, "mode"),
    ("text.type", lambda: check.text("name", 3), TypeError, "name"),
    ("batch.empty", lambda: check.batch("X", torch.ones(0, 3)), ValueError, r"^X is an empty batch"),
    ("batch.dtype", lambda: check.batch("X", torch.ones(2, 3), dtype=torch.float32), TypeError, "weights are torch.float32"),
    ("batch.int", lambda: check.batch("X", torch.ones(2, 3, dtype=torch.long)), TypeError, "real floating"),
    ("tensor.numpy", lambda: check.tensor("X", np.ones(2)), TypeError, "torch.as_tensor"),
    ("tensor.shape", lambda: check.tensor("X", torch.ones(2, 3), shape=(None, 2)), ValueError, "X"),
    ("tensor.inf", lambda: check.tensor("X", torch.tensor([INF])), ValueError, "X"),
    ("model.type", lambda: check.model("model", object()), TypeError, "model"),
    ("array.type", lambda: check.array("A", [[1.0], "x"]), TypeError, r"^A must be an array of real numbers"),
    ("array.ndim", lambda: check.array("A", np.ones(3), 2), ValueError, r"^A must be 2-dimensional"),
    ("array.inf", lambda: check.array("A", [INF]), ValueError, r"^A contains NaN or infinite"),
    # None read as a 0-d NaN ("A must be 2-dimensional, got shape ()"): now a TypeError
    ("array.None", lambda: check.array("A", None), TypeError, r"^A must be an array of real numbers"),
    ("array.object", lambda: check.array("A", np.array(None)), TypeError, r"^A must be an array of real numbers"),
    ("arrangement.None", lambda: erm.arrangement(None), TypeError, r"^X must be an array of real numbers"),
    ("box.type", lambda: check.box("box", 3, 2), TypeError, r"^box must be a sequence"),
    ("box.len", lambda: check.box("box", (0, 1), 2), ValueError, r"^box must hold 2n = 4 numbers"),
    ("box.order", lambda: check.box("box", (0, 1, 1, 1), 2), ValueError, r"^box must have lo_i < hi_i"),
    ("instance.type", lambda: check.instance("path", 3, (str, bytes)), TypeError, r"^path must be a str or bytes"),
    ("dtype.type", lambda: check.dtype("dtype", torch.long), TypeError, r"^dtype must be a real floating torch.dtype or"),
    ("dtype.none", lambda: check.dtype("dtype", None, none=False), TypeError, r"floating torch.dtype, got None"),
    ("device.type", lambda: check.device("device", 1), TypeError, "device"),
    ("device.name", lambda: check.device("device", "cuda:x"), ValueError, "device"),
    ("device.kind", lambda: check.device("device", "meta"), ValueError, "CPU or CUDA"),
    ("within_budget.cost", lambda: check.within_budget("paths", 1e9, 1e6), ValueError, "paths"),
    # integers in full (they were written 5e+03 > 5e+03)
    (
        "within_budget.int",
        lambda: check.within_budget("P", 5001, 5000, what="rows"),
        ValueError,
        r"^P: 5,001 rows .* 5,000;",
    ),
    (
        "parameter_count.absurd",
        lambda: check.parameter_count("net", 10**12),
        ValueError,
        r"^net: 1,000,000,000,000 param",
    ),
    ("codes.dtype", lambda: check.codes("z", ["a"], (1,)), TypeError, r"^z must hold integer codes, got dtype <U1"),
    (
        "codes.float",
        lambda: check.codes("z", [0.5], (1,)),
        TypeError,
        r"^z must hold integer codes; it has non-integer",
    ),
    ("codes.nan", lambda: check.codes("z", [NAN], (1,)), TypeError, "z"),
    ("codes.shape", lambda: check.codes("z", [[0, 1]], (2,)), ValueError, r"^z must have shape \(2\), got \(1, 2\)"),
    ("codes.empty", lambda: check.codes("z", np.zeros((0, 2)), (None, 2)), ValueError, r"^z is empty"),
    ("codes.high", lambda: check.codes("z", [0, 3], (2,), high=3), ValueError, r"^z must hold codes in \[0, 3\), got"),
    ("codes.negative", lambda: check.codes("z", [-1, 0], (2,), high=3), ValueError, r"got values in \[-1, 0\]"),
    ("glue_num.value", lambda: book.glue_num("x", "abc"), ValueError, "abc"),
    ("glue_values.values", lambda: book.glue_values("p", {"x": "abc"}), ValueError, "abc"),
    ("small.type", lambda: book.small("x"), TypeError, r"^x must be a Real or ndarray or Tensor, got str"),
    ("small.bound", lambda: book.small(0.5, "1e-12"), TypeError, r"^bound must be a real number"),
    ("small.array", lambda: book.small(np.ones(3)), ValueError, r"^x must be one number"),
    ("exact_tol.empty", lambda: book.exact_tol([]), ValueError, r"^references\[0\] is empty"),
    ("exact_tol.text_list", lambda: book.exact_tol(["a"]), TypeError, r"^references\[0\] must be an array of real"),
    ("glue_num.digits", lambda: book.glue_num("x", 1.0, digits=4.5), TypeError, r"^digits must be an int"),
    ("exact_tol.type", lambda: book.exact_tol(object()), TypeError, r"^references\[0\] must be .*, got object"),
    ("exact_tol.str", lambda: book.exact_tol(1.0, "a"), TypeError, r"^references\[1\]"),
    ("mean_se.str", lambda: book.mean_se("abc"), TypeError, r"^values must be real numbers, got str"),
    ("glue_values.type", lambda: book.glue_values("p", 5), TypeError, r"^values must be a dict, got int"),
    ("glue_num.name", lambda: book.glue_num(5, 1.0), TypeError, r"^name must be a str, got int"),
    ("mean_se.short", lambda: book.mean_se([1.0]), ValueError, "values"),
    (
        "finding.kind",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="a.b", kind="wrong", paper_says="p", book_says="b", text_read="yes"
        ),
        ValueError,
        "kind",
    ),
    (
        "finding.text_read",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="a.b", kind="narrows", paper_says="p", book_says="b", text_read="maybe"
        ),
        ValueError,
        "text_read",
    ),
    (
        "finding.claim",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="", kind="narrows", paper_says="p", book_says="b", text_read="yes"
        ),
        ValueError,
        "claim",
    ),
    ("finding_line.type", lambda: claims.finding_line({"id": "x"}), TypeError, r"^rec must be a FindingRecord"),
    ("anchor.type", lambda: claims.anchor("claim", 3), TypeError, r"^record_id must be a str"),
    ("anchor.kind.type", lambda: claims.anchor(None, "x"), TypeError, r"^kind must be a str"),
    (
        "finding.paper_says.type",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="a.b", kind="narrows", paper_says=3, book_says="b", text_read="yes"
        ),
        TypeError,
        r"^paper_says must be a str",
    ),
    (
        "finding.book_says.blank",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="a.b", kind="narrows", paper_says="p", book_says=" ", text_read="yes"
        ),
        ValueError,
        r"^book_says must be a non-empty str",
    ),
    (
        "finding.text_read.blank",
        lambda: claims.finding(
            "f.x", 1, 1, 0, claim="a.b", kind="narrows", paper_says="p", book_says="b", text_read=""
        ),
        ValueError,
        r"^text_read must be a non-empty str",
    ),
    ("findings_in_notebook.type", lambda: claims.findings_in_notebook(3), TypeError, "path"),
    (
        "findings_in_notebook.missing",
        lambda: claims.findings_in_notebook("/nonexistent/nb.ipynb"),
        FileNotFoundError,
        "path",
    ),
    (
        "findings_in_notebook.not_json",
        lambda: claims.findings_in_notebook(__file__),
        ValueError,
        r"^path '.*test_bad_input\.py' is not a notebook \(not JSON\)",
    ),
    # ------------------------------------------------------------ train (early stopping)
    (
        "train.patience.zero",
        lambda: train.train(
            fc.mlp([2, 3, 2]),
            _X(4),
            torch.zeros(4, dtype=torch.long),
            epochs=1,
            val=(_X(4), torch.zeros(4, dtype=torch.long)),
            patience=0,
            progress=False,
        ),
        ValueError,
        "patience",
    ),
    # ------------------------------------------------------------ nets.gated_conv
    ("ConvNet.channels", lambda: _cnet(channels=(0,)), ValueError, "channels"),
    ("ConvNet.head", lambda: _cnet(head="max"), ValueError, "head"),
    ("ConvNet.image", lambda: _cnet(image=(1, 3)), ValueError, "image"),
    ("ConvNet.seed", lambda: _cnet(seed=1.5), TypeError, "seed"),
    ("ConvNet.forward.shape", lambda: _cnet()(torch.zeros(2, 1, 4, 4, dtype=torch.float64)), ValueError, "X"),
    ("ConvNet.forward.dtype", lambda: _cnet()(_img().float()), TypeError, "X"),
    ("ConvNet.preactivations.nan", lambda: _cnet().preactivations(_img().fill_(NAN)), ValueError, "X"),
    ("ConvNet.check_images.empty", lambda: _cnet().check_images(_img(0)), ValueError, "X"),
    ("GatedConvNet.type", lambda: gated_conv.GatedConvNet(fc.mlp([9, 2]), _cnet()), TypeError, "feature"),
    ("GatedConvNet.spec", lambda: gated_conv.GatedConvNet(_cnet(head="flatten"), _cnet()), ValueError, "architecture"),
    (
        "GatedConvNet.spec.channels",
        lambda: gated_conv.GatedConvNet(_cnet(channels=(3,)), _cnet()),
        ValueError,
        "architecture",
    ),
    ("GatedConvNet.dtype", lambda: gated_conv.GatedConvNet(_cnet(dtype=torch.float32), _cnet()), TypeError, "dtype"),
    ("GatedConvNet.gate", lambda: gated_conv.GatedConvNet(_cnet(), _cnet(), gate="relu"), ValueError, "gate"),
    ("GatedConvNet.beta", lambda: gated_conv.GatedConvNet(_cnet(), _cnet(), beta=0.0), ValueError, "beta"),
    ("GatedConvNet.eps", lambda: gated_conv.GatedConvNet(_cnet(), _cnet(), eps=NAN), ValueError, "eps"),
    (
        "GatedConvNet.gates.nan",
        lambda: gated_conv.GatedConvNet(_cnet(), _cnet()).gates(_img().fill_(NAN)),
        ValueError,
        "X",
    ),
    ("GatedConvNet.forward.shape", lambda: gated_conv.GatedConvNet(_cnet(), _cnet())(_X()), ValueError, "X"),
    ("GatedConvNet.freeze.part", lambda: gated_conv.GatedConvNet(_cnet(), _cnet()).freeze("gates"), ValueError, "part"),
    # ------------------------------------------------------------ nets.conv_stack
    ("ConvStack.empty", lambda: conv_stack.ConvStack([]), ValueError, "nets"),
    ("ConvStack.nets.type", lambda: conv_stack.ConvStack(5), TypeError, "^nets must be a list or tuple"),
    ("ConvStack.type", lambda: conv_stack.ConvStack([fc.mlp([2, 3])]), TypeError, "nets"),
    ("ConvStack.spec", lambda: conv_stack.ConvStack([_cnet(), _cnet(head="flatten")]), ValueError, "architecture"),
    (
        "ConvStack.forward.shape",
        lambda: conv_stack.ConvStack([_cnet()])(torch.zeros(2, 1, 4, 4, dtype=torch.float64)),
        ValueError,
        "X",
    ),
    ("ConvStack.forward.nan", lambda: conv_stack.ConvStack([_cnet()])(_img().fill_(NAN)), ValueError, "X"),
    ("ConvStack.member.index", lambda: conv_stack.ConvStack([_cnet()]).member(1), ValueError, "m"),
    ("fit_stack.Y.shape", lambda: _fit(Y=torch.zeros(2, dtype=torch.long)), ValueError, "Y"),
    ("fit_stack.device", lambda: _fit(device="tpu"), ValueError, "device"),
    ("fit_stack.lr", lambda: _fit(lr=0.0), ValueError, "lr"),
    ("fit_stack.batch_size", lambda: _fit(batch_size=0), ValueError, "batch_size"),
    ("ConvStack.forward.dtype", lambda: conv_stack.ConvStack([_cnet()])(_img().float()), TypeError, "X"),
    ("ConvNet.n_out", lambda: _cnet(n_out=0), ValueError, "n_out"),
    ("GatedConvNet.eps.low", lambda: gated_conv.GatedConvNet(_cnet(), _cnet(), eps=-1.0), ValueError, "eps"),
    ("fit_stack.patience", lambda: _fit(patience=0), ValueError, "patience"),
    ("fit_stack.groups", lambda: _fit(groups=[0, 1]), ValueError, "groups"),
    ("fit_stack.groups.negative", lambda: _fit(groups=[-1]), ValueError, r"groups\[0\]"),
    ("fit_stack.groups.float_tensor", lambda: _fit(groups=torch.zeros(1)), TypeError, "groups"),
    ("fit_stack.groups.matrix", lambda: _fit(groups=torch.zeros(1, 1, dtype=torch.long)), ValueError, "groups"),
    ("fit_stack.watch.twice", lambda: _fit(watch=[0, 0]), ValueError, "watch"),
    ("fit_stack.watch.type", lambda: _fit(watch=3), TypeError, "^watch must be a sequence"),
    ("fit_stack.watch.range", lambda: _fit(watch=[1]), ValueError, r"^watch must list members in \[0, 1\)"),
    ("fit_stack.val.type", lambda: _fit(val=_img()), TypeError, r"^val must be a pair"),
    ("fit_stack.on_epoch", lambda: _fit(on_epoch=3), TypeError, "^on_epoch must be callable"),
    # ------------------------------------------------------------ infinite_width
    ("relu_kernels.X1.type", lambda: infinite_width.relu_kernels([[1.0]], depth=2), TypeError, "X1"),
    ("relu_kernels.X2.shape", lambda: infinite_width.relu_kernels(_X(3, 2), _X(3, 4), depth=2), ValueError, "X2"),
    ("relu_kernels.depth", lambda: infinite_width.relu_kernels(_X(), depth=0), ValueError, "depth"),
    ("relu_kernels.sigma_w2", lambda: infinite_width.relu_kernels(_X(), depth=2, sigma_w2=0.0), ValueError, "sigma_w2"),
    (
        "relu_kernels.sigma_b2",
        lambda: infinite_width.relu_kernels(_X(), depth=2, sigma_b2=-1.0),
        ValueError,
        "sigma_b2",
    ),
    ("relu_kernels.empty", lambda: infinite_width.relu_kernels(_X(0), depth=2), ValueError, "X1"),
    ("relu_kernels.nan", lambda: infinite_width.relu_kernels(_nan_X(), depth=2), ValueError, "X1"),
]


def test_within_budget_accepts_a_cost_equal_to_the_budget():
    check.within_budget("paths", 5000, 5000)


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused(call, exc, match):
    # A bare name must appear as a whole word, in its own case: "X2" must not be satisfied by "XX2" or "x2",
    # so a message that names the wrong argument fails.
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", match):
        match = rf"\b{match}\b"
    with pytest.raises(exc, match=match):
        call()


# Dataclass constructors (result containers filled by relulab itself) are the only public callables with parameters
# that have no case here.
CONTAINERS = {
    "ClaimRecord",
    "FindingRecord",
    "Split",
    "Paths",
    "Pieces1D",
    "Regions2D",
    "History",
    "Fit",
    "Cell",
    "RegionsND",
    "ZonotopeCounts",
    "LatticeFormula",
    "WangSunForm",
    "NTKSplit",
    "BetaExpansion",
    "Conditions",
    "EdgeStatistics",
    "StudentTables",
    "Step",
    "Plan",
    "SupportReport",
    "InfiniteWidthKernels",
    "StackFit",
    "PieceBounds",
    "ConvSpec",
}


def _exported(module) -> list[object]:
    """What a module exports: the relulab objects named in its `__all__`; where it has none, what
    `from module import *` would give (its public names), limited to those defined in the module itself."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__
        ]
    objs = [getattr(module, n) for n in names]
    return [o for o in objs if not inspect.ismodule(o) and str(getattr(o, "__module__", "")).startswith("relulab.")]


def _public_api() -> dict[str, str]:
    """{case key: qualified name} of every exported function, exported class's constructor and its public methods
    that take arguments. Keys: `fn` for a function, `Class` for a constructor, `Class.method` for a method."""
    objs = {}
    for info in pkgutil.walk_packages(relulab.__path__, "relulab."):
        for obj in _exported(importlib.import_module(info.name)):
            objs[id(obj)] = obj
    api = {}
    for obj in objs.values():
        members = [(obj.__name__, obj)] if inspect.isfunction(obj) else []
        if inspect.isclass(obj):
            init = obj.__name__ not in CONTAINERS
            members = [
                (obj.__name__ if m == "__init__" else f"{obj.__name__}.{m}", v)
                for m, v in vars(obj).items()
                if (m == "__init__" and init or not m.startswith("_")) and inspect.isfunction(v)
            ]
        for key, fn in members:
            if [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]:
                api[key] = f"{fn.__module__}.{fn.__qualname__}"
    return api


def test_every_public_function_has_a_case():
    heads = {c[0].split(".")[0] for c in CASES} | {".".join(c[0].split(".")[:2]) for c in CASES}
    api = _public_api()
    assert {"verify", "path_norm", "pieces_1d", "DeepGatedNet.forward", "PWLNet"} <= api.keys()  # the walk works
    missing = sorted(q for key, q in api.items() if key not in heads)
    assert not missing, f"public functions without a bad-input case: {missing}"


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def _global_state() -> tuple:
    return (
        torch.get_default_dtype(),
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.get_rng_state(),
        np.random.get_state(),
        random.getstate(),
        torch.utils.deterministic.fill_uninitialized_memory,
    )


def _same_state(a: tuple, b: tuple) -> bool:
    return a[:4] == b[:4] and torch.equal(a[4], b[4]) and np.array_equal(a[5][1], b[5][1]) and a[6:] == b[6:]


def _restore(state: tuple) -> None:
    torch.set_default_dtype(state[0])
    torch.set_num_threads(state[1])
    torch.use_deterministic_algorithms(state[2], warn_only=state[3])
    torch.set_rng_state(state[4])
    np.random.set_state(state[5])
    random.setstate(state[6])
    torch.utils.deterministic.fill_uninitialized_memory = state[7]


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        # every other argument is valid and differs from the current state (seed 123, float32, scale "paper"), so a
        # setup that acted on it before checking the bad one would leave a trace
        (dict(scale="huge", dtype=torch.float32), ValueError),
        (dict(scale="paper", dtype=torch.int64), TypeError),
        (dict(scale="paper", dtype=torch.float32, threads=0), ValueError),
        (dict(scale="paper", dtype=torch.float32, threads=1.5), TypeError),
    ],
    ids=["scale", "dtype", "threads.zero", "threads.type"],
)
def test_a_refused_setup_changes_no_global_state(kwargs, exc):
    state = _global_state()
    torch.use_deterministic_algorithms(False)  # states setup would change: deterministic mode off, its NaN fill on
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        before = _global_state()
        with pytest.raises(exc):
            runtime.setup(123, **kwargs)
        assert _same_state(_global_state(), before)
    finally:
        _restore(state)  # a failing (sabotaged) setup must not leak into the next case


def test_records_in_notebook_reads_a_valid_notebook(tmp_path):
    # the bad-path checks above must not break the good path
    nb = {"cells": [{"outputs": [{"data": {claims.MIME: _record().to_json()}}]}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    assert [r["id"] for r in claims.records_in_notebook(p)] == ["t.x"]
    assert claims.summary_line(_record()).startswith("[PASS] t.x")


def test_exact_erm_takes_a_list_and_a_bool_array_as_the_matrices_they_stand_for():
    # accepted since erm checks with relulab.check.array (its own checker refused both): same fit as the float array
    X, y = np.array([[0.0], [1.0], [1.0], [3.0]]), np.array([0.0, 1.0, 2.0, 0.0])
    ref, from_list = erm.exact_erm(X, y, 1), erm.exact_erm(X.tolist(), y.tolist(), 1)
    assert from_list.loss == ref.loss and np.array_equal(from_list.W, ref.W)
    assert np.array_equal(erm.exact_erm(X > 0.5, y, 1).W, erm.exact_erm((X > 0.5).astype(float), y, 1).W)
    assert np.array_equal(ref.predict(X.tolist()), ref.predict(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_event_codes_take_a_bool_array_as_events_0_and_1():
    # check.codes, shared by data.ladder and projection.marginals, reads bool as 0/1 (marginals refused bool before)
    z = np.array([True, False, True])
    mean = projection.conditional_mean(torch.arange(3.0), z, torch.ones(3), 2)
    assert torch.equal(mean, projection.conditional_mean(torch.arange(3.0), z.astype(int), torch.ones(3), 2))


def test_a_cuda_device_is_refused_where_there_is_none():
    with pytest.raises(ValueError, match="no CUDA device"):
        check.device("device", "cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_device_index_beyond_the_machine_is_refused():
    with pytest.raises(ValueError, match="CUDA device"):
        check.device("device", f"cuda:{torch.cuda.device_count()}")
