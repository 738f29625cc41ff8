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


def _eval_double(model: nn.Module) -> nn.Module:
    return model.double().eval()


def test_alexnet_forward_is_its_layers_in_order_and_counts_hidden():
    """AlexNet = 5 convs with ReLU and 3 max-pools 3/2, 6x6 pool, then linear-ReLU-linear-ReLU-linear (eval)."""
    import torch.nn.functional as F

    from relulab.nets import classic

    model = _eval_double(classic.alexnet(n_classes=3, in_channels=2, width=1, hidden=5, seed=0))
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    lins = [m for m in model.classifier if isinstance(m, nn.Linear)]
    assert [m.out_features for m in lins] == [5, 5, 3]
    x = torch.randn(2, 2, 67, 67, dtype=torch.float64)
    h = F.max_pool2d(F.relu(F.conv2d(x, convs[0].weight, convs[0].bias, stride=4, padding=2)), 3, 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, convs[1].weight, convs[1].bias, padding=2)), 3, 2)
    for c in convs[2:]:
        h = F.relu(F.conv2d(h, c.weight, c.bias, padding=1))
    h = F.adaptive_avg_pool2d(F.max_pool2d(h, 3, 2), (6, 6)).flatten(1)
    h = F.relu(lins[1](F.relu(lins[0](h))))
    assert torch.allclose(model(x), lins[2](h), rtol=1e-12, atol=1e-12)
    assert sum(p.numel() for p in model.parameters()) == (121 * 2 + 1) + (25 * 3 + 3) + (9 * 18 + 6) + (9 * 24 + 4) \
        + (9 * 16 + 4) + (4 * 36 * 5 + 5) + (5 * 5 + 5) + (5 * 3 + 3)


def test_vgg_forward_is_its_layers_in_order():
    """VGG = conv-ReLU / max-pool per cfg entry, adaptive pool, then linear-ReLU-linear-ReLU-linear (eval)."""
    import torch.nn.functional as F

    from relulab.nets import classic

    model = _eval_double(classic.vgg((2, "M", 3), n_classes=4, in_channels=1, hidden=5, pool=2, seed=0))
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    lins = [m for m in model.classifier if isinstance(m, nn.Linear)]
    assert [m.out_features for m in lins] == [5, 5, 4]
    x = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    h = F.max_pool2d(F.relu(F.conv2d(x, convs[0].weight, convs[0].bias, padding=1)), 2, 2)
    h = F.adaptive_avg_pool2d(F.relu(F.conv2d(h, convs[1].weight, convs[1].bias, padding=1)), (2, 2)).flatten(1)
    expect = lins[2](F.relu(lins[1](F.relu(lins[0](h)))))
    assert torch.allclose(model(x), expect, rtol=1e-12, atol=1e-12)


def test_vgg_defaults_are_torchvisions():
    from relulab.nets import classic

    model = classic.VGG((1,), in_channels=1)
    lins = [m for m in model.classifier if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in lins] == [(49, 4096), (4096, 4096), (4096, 1000)]
    assert classic.vgg((1,), in_channels=1, hidden=3, pool=1, seed=0).classifier[-1].out_features == 1000


@pytest.mark.parametrize("depth, stages", [(18, [2, 2, 2, 2]), (34, [3, 4, 6, 3]), (50, [3, 4, 6, 3]),
                                           (101, [3, 4, 23, 3]), (152, [3, 8, 36, 3])])
def test_resnet_depth_sets_he_et_al_stage_sizes(depth, stages):
    from relulab.nets import classic

    model = classic.resnet(depth, n_classes=2, in_channels=1, width=1, seed=0)
    assert [len(s) for s in (model.layer1, model.layer2, model.layer3, model.layer4)] == stages


def test_bottleneck_shortcut_is_identity_exactly_when_the_shape_is_kept():
    """With conv3 zeroed the residual branch is BN(0) = bias = 0, so the block returns ReLU(shortcut(x))."""
    from relulab.nets import classic

    x = torch.randn(2, 8, 6, 6, dtype=torch.float64)
    same = _eval_double(classic.Bottleneck(8, 2))
    with torch.no_grad():
        same.conv3.weight.zero_()
    assert torch.equal(same(x), torch.relu(x))
    strided = _eval_double(classic.Bottleneck(8, 2, stride=2))
    assert strided(x).shape == (2, 8, 3, 3)
    assert strided.downsample is not None


def test_dense1d_matches_a_loop_and_is_seeded():
    from relulab.nets.teacher import Dense1d

    layer = Dense1d(2, 3, 4, 2, seed=5)
    assert torch.equal(layer.weight, Dense1d(2, 3, 4, 2, seed=5).weight)
    assert not torch.equal(layer.weight, Dense1d(2, 3, 4, 2, seed=6).weight)
    x = torch.randn(5, 2, 4, dtype=layer.weight.dtype)
    out = layer(x)
    assert out.shape == (5, 3, 2)
    for n in range(5):
        for o in range(3):
            for t in range(2):
                expect = sum(layer.weight[t, o, c * 4 + s] * x[n, c, s] for c in range(2) for s in range(4))
                assert torch.allclose(out[n, o, t], expect, rtol=1e-12, atol=1e-12)


def test_treenet_densify_keeps_the_layer_shape():
    from relulab.nets.teacher import Dense1d, TreeNet

    net = TreeNet(1, 8, [3, 2], [2, 4], seed=0)
    x = torch.randn(4, 1, 8, dtype=net.layers[0].weight.dtype)
    shape = net(x).shape
    assert net.densify(0, seed=1) is net
    assert isinstance(net.layers[0], Dense1d) and (net.layers[0].out_channels, net.layers[0].out_length) == (3, 4)
    assert net(x).shape == shape


def test_treenet_trace_g_is_the_negative_loss_gradient():
    """For loss 0.5 ||target - out||^2 the top layer's g (and g_lin, no BN) is target - out."""
    from relulab.nets.teacher import TreeNet

    net = TreeNet(1, 8, [3, 2], [2, 4], seed=0)
    x = torch.randn(4, 1, 8, dtype=net.layers[0].weight.dtype)
    target = torch.randn_like(net(x))
    top = net.trace(x, target)[-1]
    assert torch.allclose(top["g"], target - top["post"], rtol=1e-12, atol=1e-12)
    assert torch.allclose(top["g_lin"], target - top["post"], rtol=1e-12, atol=1e-12)


def test_dag_vgg_like_ends_in_a_linear_head_and_unet_like_has_no_batchnorm():
    from relulab.nets import dag

    vgg = dag.vgg_like(1, (2, 2), 3, 4, seed=0)
    assert vgg(torch.randn(5, 1, 4, 4, dtype=next(vgg.parameters()).dtype)).shape == (5, 3)
    unet = dag.unet_like(1, 2, 1, seed=0)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in unet.modules())


def test_parameter_budget_covers_the_real_count(monkeypatch):
    """A builder refuses once its real parameter count is over MAX_PARAMETERS (its estimate is not below it)."""
    from relulab import check
    from relulab.nets import dag

    real = sum(p.numel() for p in dag.vgg_like(1, (2, 2), 3, 4, seed=0).parameters())
    monkeypatch.setattr(check, "MAX_PARAMETERS", real - 1)
    with pytest.raises(ValueError, match="parameters"):
        dag.vgg_like(1, (2, 2), 3, 4, seed=0)


def test_mlp_inits_have_their_documented_scales():
    """kaiming: N(0, 2/fan_in); torch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), reproducible under a seed."""
    w = mlp([400, 400], init="kaiming", seed=0, dtype=torch.float64)[0].weight
    assert abs(w.std().item() - (2 / 400) ** 0.5) < 0.002
    net = mlp([400, 400], init="torch", seed=0, dtype=torch.float64)
    w, b = net[0].weight, net[0].bias
    assert w.abs().max() <= 1 / 20 and abs(w.std().item() - (1 / 400 / 3) ** 0.5) < 0.001
    assert b.abs().max() <= 1 / 20
    assert torch.equal(w, mlp([400, 400], init="torch", seed=0, dtype=torch.float64)[0].weight)


def test_best_epochs_stops_a_member_after_patience_epochs_without_improvement():
    from relulab.nets._batched import BestEpochs

    best = BestEpochs([0], patience=2)
    accs = [0.5, 0.6, 0.6, 0.6, 0.9]  # best at epoch 1; epochs 2, 3 do not improve: out of patience after epoch 3
    done = [best.update(e, torch.tensor([a], dtype=torch.float64), lambda m: e) for e, a in enumerate(accs[:4])]
    assert done == [False, False, False, True] and best.kept == {0: 1}
    rising = BestEpochs([0], patience=2)
    assert not any(rising.update(e, torch.tensor([e / 10], dtype=torch.float64), lambda m: e) for e in range(6))
    assert rising.kept == {0: 5}
    unlimited = BestEpochs([0], patience=None)
    for e, a in enumerate([0.5, 0.4, 0.4, 0.4, 0.4, 0.9]):
        assert not unlimited.update(e, torch.tensor([a], dtype=torch.float64), lambda m: e)
    assert unlimited.kept == {0: 5}


def test_parameter_budget_counts_the_first_vgg_conv_and_the_unet_head(monkeypatch):
    """Nets whose parameters sit in the first conv (VGG) or in the 1x1 head (U-Net-like) are refused over budget."""
    from relulab import check
    from relulab.nets import classic, dag

    monkeypatch.setattr(check, "MAX_PARAMETERS", 500)
    with pytest.raises(ValueError, match="parameters"):
        classic.vgg((1,), n_classes=1, in_channels=100, hidden=1, pool=1, seed=0)  # 9 * 100 weights in conv 1
    with pytest.raises(ValueError, match="parameters"):
        dag.unet_like(1, 1, 1000, seed=0)  # 2,000 weights and biases in the head


def test_unseeded_torch_init_is_pytorchs_own_linear_init():
    torch.manual_seed(0)
    net = mlp([3, 4], init="torch")
    torch.manual_seed(0)
    ref = nn.Linear(3, 4)
    assert torch.equal(net[0].weight, ref.weight) and torch.equal(net[0].bias, ref.bias)
