"""Network builders: shapes, reproducibility, and the locally connected layer against a brute-force loop."""

import pytest
import torch
from torch import nn

from relulab.nets import LocallyConnected1d, mlp, mlp_widths


def test_mlp_layout_and_seed():
    net = mlp([3, 5, 4, 2], bias=False, seed=7)
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert mlp_widths(net) == [3, 5, 4, 2]
    assert all(m.bias is None for m in net if isinstance(m, nn.Linear))
    again = mlp([3, 5, 4, 2], bias=False, seed=7)
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(net[::2], again[::2]))


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1), (3, 2)])
def test_locally_connected_matches_loop(kernel, stride):
    layer = LocallyConnected1d(2, 3, 7, kernel, stride, seed=0)
    x = torch.randn(4, 2, 7)
    out = layer(x)
    for t in range(layer.out_length):
        window = x[:, :, list(layer.receptive_field(t))].reshape(4, -1)
        expect = window @ layer.weight[t].T + layer.bias[t]
        assert torch.allclose(out[:, :, t], expect, rtol=1e-12, atol=1e-12)


def test_nets_never_import_paths_so_there_is_no_import_cycle():
    # paths reads nets (lifting knows Residual/Concat, gated kernels know DeepGatedNet); the reverse would be a cycle
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "lib" / "relulab" / "nets"
    offenders = []
    for f in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                if "paths" in mod.split("."):
                    offenders.append(f"{f.name}: from {mod}")
            elif isinstance(node, ast.Import):
                offenders += [f"{f.name}: import {a.name}" for a in node.names if "relulab.paths" in a.name]
    assert not offenders, offenders


def test_resnet_scans_its_input_once(monkeypatch):
    """ResNet.forward checks x; its blocks skip their own check inside it, but still check when called alone."""
    from relulab import check
    from relulab.nets import classic

    calls = []
    tensor = check.tensor
    monkeypatch.setattr(check, "tensor", lambda *a, **k: calls.append(a[0]) or tensor(*a, **k))
    model = classic.resnet(18, n_classes=3, width=4, seed=0)
    model(torch.zeros(1, 3, 16, 16, dtype=next(model.parameters()).dtype))
    assert calls == ["x"]
    with pytest.raises(ValueError, match="^x contains NaN"):
        model.layer1[0](torch.full((1, 4, 4, 4), float("nan"), dtype=next(model.parameters()).dtype))
