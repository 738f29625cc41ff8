"""Tests that kill surviving mutants that matter (found by `make mutation`, see bench/MUTATION.md).

Each test pins one behaviour that a mutant changed without any other test noticing: a record field the ledger
stores, a boundary of a refusal, a dtype, a tie-break, an adjacency rule, a degenerate branch.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from relulab import claims, erm, projection as pj, regions as R
from relulab.nets import mlp
from relulab.paths import enumeration
from relulab.paths.lifting import global_prune, random_rescaling
from relulab.paths.path_kernel import npk_from_gates

REL = 1e-10


def close(a, b):
    return (a - b).abs().max().item() <= REL * max(1.0, b.abs().max().item())


# ---------------------------------------------------------------- claims: what the ledger stores and shows

def test_record_fields_are_the_measured_values():
    claims.verify("t.fields", 1.0, 1.0, 0.125, 50.0, quantity="q", control_quantity="cq", note="n", display=False)
    rec = claims.RECORDS[-1]
    assert (rec.tolerance, rec.control_measured, rec.control_quantity, rec.quantity, rec.note) == (0.125, 50.0, "cq", "q", "n")
    assert rec.control_margin == 392.0 and rec.passed


def test_record_json_keeps_finite_floats_and_spells_infinite_ones():
    claims.verify("t.json", 0.0, 0.0, 0.0, 1.0, display=False)  # zero tolerance: the control's margin is inf
    js = claims.RECORDS[-1].to_json()
    assert js["control_margin"] == "inf" and js["measured"] == 0.0 and isinstance(js["control_measured"], float)
    json.dumps(js, allow_nan=False)  # valid strict JSON


def test_record_is_displayed_with_its_mime_bundle(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    claims.verify("t.display", 1.0, 1.0, 0.1, 50.0)
    (bundle, raw), = shown
    assert raw and bundle["text/plain"].startswith("[PASS] t.display") and bundle[claims.MIME]["id"] == "t.display"


def test_records_skip_cells_without_outputs(tmp_path):
    rec = claims.RECORDS[-1].to_json() if claims.RECORDS else {"id": "t.x"}
    nb = {"cells": [{"cell_type": "markdown", "source": "text"}, {"outputs": [{"data": {claims.MIME: rec}}]}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    assert [r["id"] for r in claims.records_in_notebook(p)] == [rec["id"]]


# ---------------------------------------------------------------- erm: counts and the shape of y

def test_program_and_dichotomy_counts_closed_form():
    assert erm.count_dichotomies_bound(3, 0) == 2  # R^0: only the two constant dichotomies
    assert erm.count_dichotomies_bound(5, 2) == 2 * (1 + 4 + 6)
    assert erm.count_programs(5, 2, 2) == math.comb(2 * 22, 2)


def test_exact_erm_reports_its_count_programs_and_accepts_a_column_y():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 1)), rng.normal(size=5)
    r = erm.exact_erm(X, y, 2)
    items = 2 * r.n_dichotomies  # (dichotomy, sign) pairs
    assert r.n_programs == math.comb(items, 2)
    r2 = erm.exact_erm(X, y[:, None], 2)
    assert r2.loss == r.loss


# ---------------------------------------------------------------- enumeration, npk

def test_enumerate_paths_limit_is_inclusive_and_dtype_follows_the_weights():
    net = mlp([2, 3, 1], bias=False, seed=0)
    assert enumeration.enumerate_paths(net, max_paths=6).shape == (6, 2)
    with pytest.raises(ValueError, match="max_paths"):
        enumeration.enumerate_paths(net, max_paths=5)
    net32 = mlp([2, 3, 1], bias=False, seed=0, dtype=torch.float32)
    assert enumeration.npv(net32).dtype == torch.float32


def test_npk_from_gates_refuses_a_gate_that_is_not_a_tensor():
    X = torch.randn(3, 2)
    with pytest.raises(ValueError, match="G1\\[0\\]"):
        npk_from_gates(X, X, [[[1.0, 0.0]] * 3], [torch.ones(3, 2)])


# ---------------------------------------------------------------- lifting: rescaling skips what it must, ties

def test_rescaling_skips_a_grouped_next_conv():
    # conv -> ReLU -> depthwise conv: per-channel rescaling cannot be undone by a grouped next layer's in-weights
    # in general, so random_rescaling must leave that pair alone (and the function unchanged)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1, groups=2),
                        nn.ReLU(), nn.Flatten(), nn.Linear(32, 1)).double().eval()
    r = random_rescaling(net, 0, factors=(2.0**-5, 2.0**6))
    X = torch.randn(4, 1, 4, 4)
    with torch.no_grad():
        assert close(r(X), net(X))
    assert torch.equal(r[0].weight, net[0].weight)  # the first pair was skipped


def test_global_prune_breaks_ties_by_position():
    net = mlp([2, 3, 1], bias=False, seed=0)
    scores = {"0.weight": torch.ones(3, 2), "2.weight": torch.ones(1, 3)}
    _, masks = global_prune(net, scores, 0.5)
    flat = torch.cat([masks["0.weight"].reshape(-1), masks["2.weight"].reshape(-1)])
    assert flat.tolist() == [False] * 4 + [True] * 5  # round(0.5 * 9) = 4 smallest: the first four by position


# ---------------------------------------------------------------- projection

def test_bn_backward_accepts_tiny_but_varying_inputs():
    g = torch.Generator().manual_seed(0)
    x, up = torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g)
    # the constant-input check is relative to the input's own scale: 1e-16 x is as valid as x
    assert close(pj.bn_backward(1e-16 * x, up) * 1e-16, pj.bn_backward(x, up))


def test_bn_projector_zero_weights_and_constant_f():
    f = torch.tensor([0.0, 1.0, 3.0, 5.0])
    P = pj.bn_projector(f, torch.tensor([1.0, 1.0, 1.0, 0.0]))  # a sample of weight 0 is allowed
    w = torch.tensor([1.0, 1.0, 1.0, 0.0]) / 3
    assert close(P @ torch.ones(4), torch.zeros(4)) and abs(float((w * (P @ f)) @ f)) < 1e-10
    with pytest.raises(ValueError, match="constant"):
        pj.bn_projector(torch.ones(4))


def test_vertices_of_points_on_a_line():
    P = np.array([[0.0], [2.0], [1.0], [-1.0]])  # one column: the hull is [-1, 2]
    assert pj.vertices(P).tolist() == [False, True, False, True]


# ---------------------------------------------------------------- regions

def test_equal_maps_on_non_adjacent_cells_are_different_pieces():
    # the hat ReLU(x) - 2 ReLU(x - 1) + ReLU(x - 2), constant in y: 0 left of 0 and right of 2, two separate pieces
    l1, l2 = nn.Linear(2, 3), nn.Linear(3, 1)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor([[1.0, 0.0]] * 3))
        l1.bias.copy_(torch.tensor([0.0, -1.0, -2.0]))
        l2.weight.copy_(torch.tensor([[1.0, -2.0, 1.0]]))
        l2.bias.zero_()
    net = nn.Sequential(l1, nn.ReLU(), l2).double()
    assert R.count_regions_2d(net, (-1.5, 3.5, -1, 1)) == 4
    assert R.count_regions_2d(net, (-1.5, 3.5, -1, 1), exact=True) == 4
    # |x| + |y| - |x + y|: 0 on the first and third quadrants, which touch only at a corner (not adjacent), and
    # -2x, 2y, 2x, -2y on the two halves of the other quadrants: 6 pieces
    l1, l2 = nn.Linear(2, 6, bias=False), nn.Linear(6, 1, bias=False)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor([[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]]))
        l2.weight.copy_(torch.tensor([[1.0, 1, 1, 1, -1, -1]]))
    net = nn.Sequential(l1, nn.ReLU(), l2).double()
    assert R.count_regions_2d(net, (-1, 1, -1, 1)) == R.count_regions_2d(net, (-1, 1, -1, 1), exact=True) == 6


def test_zonotope_vertices_degenerate_cases():
    assert R.zonotope_vertices(np.zeros((3, 2))).shape == (1, 2)
    assert sorted(R.zonotope_vertices(np.array([[1.0], [-2.0]]))[:, 0]) == [-3.0, 3.0]


# ---------------------------------------------------------------- second sample (seed 1): survivors that matter

def test_control_that_hits_the_reference_exactly_did_not_fail():
    with pytest.raises(claims.ClaimFailed, match="did not fail"):
        claims.verify("t.exact", 1.0, 1.0, 0.0, 1.0, display=False)  # zero tolerance, zero miss: margin 0, not inf


def test_summary_line_printed_outside_ipython(capsys):
    claims.verify("t.print", 2.0, 2.0, 0.1, 50.0, relation="<=")
    out = capsys.readouterr().out.strip()
    assert out == claims.summary_line(claims.RECORDS[-1]) and out.startswith("[PASS] t.print: measured 2 <= 2")
    assert claims.RECORDS[-1].relation == "<="
    claims.verify("t.print2", 2.0, 2.0, 0.1, 50.0, quantity="err")
    assert capsys.readouterr().out.startswith("[PASS] t.print2: err = 2 == 2")


def test_records_stored_as_json_strings_are_decoded(tmp_path):
    rec = {"id": "t.str", "passed": True}
    nb = {"cells": [{"outputs": [{"data": {claims.MIME: json.dumps(rec)}}]}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    assert list(claims.records_in_notebook(p)) == [rec]


def test_exact_erm_names_its_loss():
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 0.0])
    assert erm.exact_erm(X, y, 1).loss_name == "squared"
    assert erm.exact_erm(X, y, 1, "absolute").loss_name == "absolute"


def test_rescaling_handles_a_trailing_relu_and_is_reproducible():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.ReLU()).double()
    a = random_rescaling(net, 7)
    torch.manual_seed(123)  # the global generator must not matter
    b = random_rescaling(net, 7)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a[0].weight, net[0].weight)


def test_global_prune_copies_and_fraction_zero_keeps_everything():
    net = mlp([2, 3, 1], bias=False, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    pruned, masks = global_prune(net, {"0.weight": torch.rand(3, 2)}, 0.5)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # the model itself is untouched
    assert (pruned[0].weight == 0).sum() == 3
    _, masks = global_prune(net, {"0.weight": torch.rand(3, 2)}, 0.0)
    assert masks["0.weight"].all()


def test_adaptive_pool_on_non_square_inputs_against_enumeration():
    from relulab.paths import dag as D
    from relulab.paths.lifting import path_norm

    for out in (1, (1, None)):  # width 3 differs from the 2 channels: a wrong axis cannot pass by coincidence
        net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(out), nn.Flatten(),
                            nn.LazyLinear(1)).double()
        with torch.no_grad():
            net(torch.zeros(1, 1, 4, 3))  # materialise the lazy head
        net = nn.Sequential(*list(net)).eval()
        ref = np.abs(D.phi(net, (1, 4, 3))).sum()
        assert abs(path_norm(net, (1, 4, 3)) - ref) <= REL * ref


def test_reformulated_relu_gate_is_the_relu():
    raw_P, F, W = torch.eye(2), torch.tensor([[0.5, -1.0], [2.0, 0.25]]), torch.eye(2)
    assert torch.equal(pj.reformulated_forward([raw_P], [F], [W], D="relu"), torch.relu(F))


def test_disentanglement_residual_accepts_a_factor_of_size_one():
    v = torch.tensor([1.0, 2.0, 3.0])
    assert pj.disentanglement_residual(v, (1, 3), 1) == 0.0
    assert pj.disentanglement_residual(v, (1, 3), 0) == 1.0


def test_random_simplex_point_allows_min_gap_zero():
    a = R.random_simplex_point(3, 2.0, seed=0, min_gap=0.0)
    assert a.shape == (3,) and (np.diff(a) > 0).all() and 0 < a[0] and a[-1] < 2.0


# ---------------------------------------------------------------- third sample (seed 2): survivors that matter

def test_verify_accepts_a_tensor_that_requires_grad():
    t = torch.tensor(1.0, requires_grad=True) * 1.0
    claims.verify("t.grad", t, 1.0, 0.1, 50.0, display=False)
    assert claims.RECORDS[-1].measured == 1.0


def test_erm_to_torch_with_output_bias_matches_predict():
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 1.5, 4.0])
    r = erm.exact_erm(X, y, 1, output_bias=True)
    with torch.no_grad():
        out = r.to_torch()(torch.from_numpy(X))
    assert out.shape == (4, 1) and np.allclose(out[:, 0].numpy(), r.predict(X), rtol=1e-12, atol=1e-12)


def test_global_prune_can_prune_a_single_weight():
    net = mlp([2, 3, 1], bias=False, seed=0)
    s = torch.arange(6, dtype=torch.float64).reshape(3, 2)
    pruned, masks = global_prune(net, {"0.weight": s}, 1 / 6)
    assert (~masks["0.weight"]).sum() == 1 and pruned[0].weight[0, 0] == 0


def test_conditional_mean_of_one_sample():
    assert torch.equal(pj.conditional_mean(torch.tensor([[2.0, 3.0]]), [0], torch.ones(1), 1), torch.tensor([[2.0, 3.0]]))


def test_reformulated_forward_adds_the_bias():
    P, F, W, b = torch.eye(2), torch.tensor([[1.0, -2.0], [0.5, 3.0]]), torch.eye(2), torch.tensor([[0.25, -0.5]])
    assert torch.equal(pj.reformulated_forward([P], [F], [W], bias=b), F + b)


def test_adjacent_cells_with_equal_maps_merge_into_one_piece():
    # ReLU(x) + ReLU(y) + 0 * ReLU(x + y): the third unit cuts two quadrants in half without changing the function,
    # so 6 activation regions make 4 pieces; the exact-rational and float adjacency tests must both merge them
    l1, l2 = nn.Linear(2, 3, bias=False), nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        l2.weight.copy_(torch.tensor([[1.0, 1.0, 0.0]]))
    net = nn.Sequential(l1, nn.ReLU(), l2).double()
    for exact in (False, True):
        r = R.regions_2d(net, (-1, 1, -1, 1), exact=exact)
        assert (r.n_activation_regions, r.n_pieces) == (6, 4)


# ---------------------------------------------------------------- fourth sample (seed 3): survivors that matter

def test_summary_line_marks_a_failed_record():
    rec = claims.ClaimRecord("t.f", False, 2.0, 1.0, 0.1, "==", "DID NOT FAIL", 1.0, 0.0, "", "", "")
    assert claims.summary_line(rec).startswith("[FAIL] t.f")


def test_piece_and_vertex_count_closed_forms():
    assert R.max_pieces_1d_bound([3, 2]) == {"lemma_D5": 2 * 4 * 2, "prod_w_plus_1": 4 * 3}
    assert R.count_zonotope_vertices(2, 1) == 2 and R.count_zonotope_vertices(3, 4) == 2 * (1 + 3 + 3)


def test_scores_keep_the_model_dtype_and_beta_expansion_keys():
    from relulab.paths.lifting import path_magnitude_scores

    net = mlp([2, 3, 1], seed=0, dtype=torch.float32)
    assert all(s.dtype == torch.float32 for s in path_magnitude_scores(net, (2,)).values())
    Ws = [torch.randn(3, 2, generator=torch.Generator().manual_seed(0)), torch.ones(1, 3)]
    out = pj.beta_expansion(Ws, Ws, torch.ones(2), 1)
    assert set(out) == {"g", "A", "B", "V", "V_star", "f", "f_star", "D"}


# ---------------------------------------------------------------- survivors of the seed-4 draw (bench/MUTATION.md, run F)

def test_records_skip_outputs_without_data_and_notebooks_without_cells(tmp_path):
    # a stream output has no "data"; a notebook may have no cells: neither is an error, neither holds a record
    rec = {"id": "t.y", "passed": True}
    nb = {"cells": [{"outputs": [{"output_type": "stream", "text": "hi"}, {"data": {claims.MIME: rec}}]}]}
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps(nb), encoding="utf-8")
    assert [r["id"] for r in claims.records_in_notebook(p)] == ["t.y"]
    p.write_text("{}", encoding="utf-8")
    assert list(claims.records_in_notebook(p)) == []


def test_record_rounds_to_four_significant_digits_and_margin_to_three():
    claims.verify("t.round", 1.23456789, 1.0, 0.5, 123.456789, display=False)
    rec = claims.RECORDS[-1]
    assert rec.measured == 1.235 and rec.control_measured == 123.5
    assert rec.control_margin == 245.0  # |123.456789 - 1| / 0.5 = 244.91... -> 3 significant digits


def test_failed_control_message_says_control_when_unnamed():
    with pytest.raises(AssertionError, match=r"the negative control \(control = 1\.05\)"):
        claims.verify("t.ctrl", 1.0, 1.0, 0.1, 1.05, display=False)


def test_verify_names_control_quantity_when_it_is_not_text():
    with pytest.raises(TypeError, match=r"^control_quantity\b"):
        claims.verify("t.cq", 1.0, 1.0, 0.1, 50.0, control_quantity=3, display=False)


def test_exact_erm_accepts_tensors_and_an_integer_column_target():
    X = np.array([[-2.0], [-1.0], [0.5], [1.0], [3.0]])
    y = np.array([[1], [0], [0], [1], [3]])  # (N, 1) integers
    ref = erm.exact_erm(X, y.astype(np.float64).ravel(), 1)
    for Xi, yi in ((torch.from_numpy(X), torch.from_numpy(y.astype(np.float64))), (X, y)):
        res = erm.exact_erm(Xi, yi, 1)
        assert abs(res.loss - ref.loss) <= 1e-12 * max(1.0, ref.loss)


def test_conditional_covariance_against_brute_force():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(12, 3, generator=g), torch.randn(12, 3, generator=g)
    z = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    w = torch.rand(12, generator=g) + 0.1
    C = pj.conditional_covariance(a, b, z, w, 3)
    for e in range(3):
        idx = [i for i in range(12) if z[i] == e]
        we = w[idx] / w[idx].sum()
        ea, eb = (we[:, None] * a[idx]).sum(0), (we[:, None] * b[idx]).sum(0)
        ref = (we[:, None] * (a[idx] - ea) * (b[idx] - eb)).sum(0)
        assert close(C[e], ref)


def test_beta_expansion_gate_is_closed_at_zero_preactivation():
    # integer weights and input: the first hidden unit's pre-activation is exactly 0, and ReLU'(0) = 0 here
    W1 = torch.tensor([[1.0, -1.0], [1.0, 1.0]])
    W2 = torch.tensor([[1.0, 2.0]])
    x = torch.tensor([1.0, 1.0])
    out = pj.beta_expansion([W1, W2], [W1, W2], x, 1)
    assert out["D"].tolist() == [0.0, 1.0]


def test_avgpool_without_count_include_pad_is_supported_with_and_without_padding():
    # since the fx path-lifting (issue 15): position-dependent divisors are read per window, checked by enumeration
    from relulab.paths import dag as D
    from relulab.paths.lifting import path_norm

    for pad in (0, 1):
        net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2, padding=pad, count_include_pad=False))
        ref = np.abs(D.phi(net, (1, 4, 4))).sum()
        assert abs(path_norm(net, (1, 4, 4)) - ref) <= 1e-12 * ref


def test_global_prune_fraction_one_prunes_every_weight():
    net = mlp([2, 3, 1], bias=False, seed=0)
    scores = {n: p.detach().abs() for n, p in net.named_parameters()}
    pruned, masks = global_prune(net, scores, 1.0)
    assert all(not m.any() for m in masks.values())
    assert all((p == 0).all() for p in pruned.parameters())


def test_uneven_adaptive_pool_equals_enumeration():
    # since the fx path-lifting (issue 15): uneven adaptive windows are supported, with torch's window lengths
    from relulab.paths import dag as D
    from relulab.paths.lifting import path_norm

    net = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.ReLU(), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
                        nn.Linear(4, 1))
    ref = np.abs(D.phi(net, (1, 5, 7))).sum()
    assert abs(path_norm(net, (1, 5, 7)) - ref) <= 1e-12 * ref


# ---------------------------------------------------------------- survivors of the seed-5 draw (run G)

def test_exact_pieces_resolve_breakpoints_float_mode_merges():
    # two kinks 1e-14 apart: float mode merges them (below its 1e-12 resolution), exact rational mode keeps both
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.copy_(torch.tensor([-0.5, -(0.5 + 1e-14)]))
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    assert R.pieces_1d(net, 0.0, 1.0).count == 2
    p = R.pieces_1d(net, 0.0, 1.0, exact=True)
    assert p.count == 3 and p.slopes.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("M", [1.0, 2.5, 0.25])
def test_zigzag_alternates_between_zero_and_M(M):
    a = [0.3 * M, 0.5 * M, 0.9 * M]
    h = R.zigzag(a, [0.0] + a + [M], M)
    assert np.allclose(h, [0.0, M, 0.0, M, 0.0], rtol=0, atol=1e-12 * M)


def test_npk_gate_width_message_names_both_widths():
    with pytest.raises(ValueError, match=r"layer 0: gate widths differ \(2 vs 3\)"):
        npk_from_gates(torch.ones(4, 2), torch.ones(3, 2), [torch.ones(4, 2)], [torch.ones(3, 3)])
    with pytest.raises(ValueError, match=r"G1\[0\] must be an \(4, w\) gate matrix .*got list"):
        npk_from_gates(torch.ones(4, 2), torch.ones(3, 2), [[1.0]], [torch.ones(3, 3)])


def test_control_exactly_at_the_margin_does_not_count_as_failed():
    # the control must miss by MORE than control_margin tolerances
    with pytest.raises(AssertionError, match="negative control"):
        claims.verify("t.edge", 0.0, 0.0, 0.5, 50.0, display=False)  # |50 - 0| / 0.5 = 100 = margin
    claims.verify("t.edge2", 0.0, 0.0, 0.5, 50.5, display=False)


def test_npv_from_weights_refuses_integer_and_non_list_weights():
    idx = torch.tensor([[0, 1]])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        enumeration.npv_from_weights([torch.ones(3, 2, dtype=torch.long), torch.ones(1, 3)], idx)
    with pytest.raises((TypeError, ValueError), match="weights"):
        enumeration.npv_from_weights(torch.ones(3, 2), idx)


# ---------------------------------------------------------------- survivors of the seed-6 draw (run H)

def test_pieces_1d_with_consecutive_linear_layers_equals_the_collapsed_net():
    # Linear -> Linear -> ReLU -> Linear is the same function as the collapsed Linear -> ReLU -> Linear
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1, 3), nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    W1, b1, W2, b2 = net[0].weight, net[0].bias, net[1].weight, net[1].bias
    flat = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        flat[0].weight.copy_(W2 @ W1)
        flat[0].bias.copy_(W2 @ b1 + b2)
        flat[2].load_state_dict(net[3].state_dict())
    a, b = R.pieces_1d(net, -5.0, 5.0), R.pieces_1d(flat, -5.0, 5.0)
    assert a.count == b.count >= 2
    assert np.allclose(a.edges, b.edges, rtol=0, atol=1e-12)


def test_exact_regions_2d_resolve_a_sliver_float_mode_drops():
    # two parallel kinks 1e-14 apart: float mode (1e-10 geometric tolerance) sees 2 cells, exact mode 3
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([-0.5, -(0.5 + 1e-14)]))
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    assert R.regions_2d(net, (0, 1, 0, 1)).n_activation_regions == 2
    assert R.regions_2d(net, (0, 1, 0, 1), exact=True).n_activation_regions == 3
    assert R.count_regions_2d(net, (0, 1, 0, 1), exact=True) == 3


def test_max_pieces_is_an_inclusive_limit():
    net = mlp([1, 8, 8, 1], seed=0)
    n = R.pieces_1d(net, -5.0, 5.0).count
    assert R.pieces_1d(net, -5.0, 5.0, max_pieces=n).count == n
    with pytest.raises(ValueError, match="max_pieces"):
        R.pieces_1d(net, -5.0, 5.0, max_pieces=n - 1)


# ---------------------------------------------------------------- survivors of the seed-7 draw (run I)

def test_rescaling_reaches_every_pattern_past_skipped_ones_and_pools():
    # conv0 -> grouped conv2 is skipped (a grouped next conv mixes no channels); conv2 -> [pool] -> conv5 and
    # conv5 -> [flatten] -> linear8 must still be rescaled, and the function kept (powers of two: exactly)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 1, groups=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(2, 3, 1), nn.ReLU(), nn.Flatten(), nn.Linear(27, 1))
    out = random_rescaling(net, 0, factors=(2.0**7,))
    assert torch.equal(out[0].weight, net[0].weight)
    assert torch.equal(out[2].weight, net[2].weight * 2.0**7)        # conv2's pattern (through the pool) applied
    assert torch.equal(out[5].bias, net[5].bias * 2.0**7)            # conv5's pattern (through the flatten) applied
    assert torch.equal(out[8].weight, net[8].weight / 2.0**7)
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert close(out(x), net(x))


def test_path_metric_bound_against_enumerated_paths():
    from relulab.paths.lifting import path_metric_bound

    net = mlp([3, 4, 4, 1], bias=False, seed=0)
    g = torch.Generator().manual_seed(1)
    other = mlp([3, 4, 4, 1], bias=False, seed=0)
    with torch.no_grad():
        for m in other:
            if isinstance(m, nn.Linear):
                m.weight.mul_(2 * torch.rand(m.weight.shape, generator=g))  # same signs, some larger, some smaller
    Wa = [m.weight.detach().abs() for m in net if isinstance(m, nn.Linear)]
    Wb = [m.weight.detach().abs() for m in other if isinstance(m, nn.Linear)]
    p = enumeration.enumerate_paths(net)
    hi = enumeration.npv_from_weights([torch.maximum(a, b) for a, b in zip(Wa, Wb)], p)[:, 0].sum()
    lo = enumeration.npv_from_weights([torch.minimum(a, b) for a, b in zip(Wa, Wb)], p)[:, 0].sum()
    assert abs(path_metric_bound(net, other, (3,)) - (hi - lo).item()) <= REL * hi.item()


def test_equal_maps_merge_into_pieces_in_a_box_away_from_the_origin():
    # a unit with output weight 0 splits activation regions, not pieces: 4 activation regions, 2 pieces
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([-11.0, -21.0]))
        net[2].weight.copy_(torch.tensor([[1.0, 0.0]]))
        net[2].bias.zero_()
    box = (10.0, 12.0, 20.0, 22.0)
    assert R.count_regions_2d(net, box, mode="activation") == 4
    assert R.count_regions_2d(net, box, mode="pieces") == 2


def test_zigzag_composition_net_accepts_a_moderate_size():
    a1, a2 = np.linspace(0.001, 0.999, 300), np.linspace(0.002, 0.998, 300)  # 301 x 301 = 90,601 weights
    net = R.zigzag_composition_net([a1, a2])
    x = np.array([0.1, 0.37, 0.8])
    with torch.no_grad():
        y = net(torch.from_numpy(x)[:, None])[:, 0].numpy()
    assert np.allclose(y, R.zigzag(a1, R.zigzag(a2, x)), rtol=0, atol=1e-9)


@pytest.mark.parametrize("pool", [nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2)])
def test_check_supported_keeps_scanning_after_a_pool(pool):
    from relulab.paths.lifting import check_supported

    with pytest.raises(TypeError, match="GELU"):
        check_supported(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), pool, nn.GELU()))


# ---------------------------------------------------------------- survivors of the seed-8 draw (run J)

def test_independence_gap_uses_the_sample_weights():
    # code independent of fine given coarse only under the weights: brute-force total variation
    code, fine, coarse = [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 0]
    w = torch.tensor([0.1, 0.3, 0.2, 0.4])
    # P(code | coarse) = (0.3, 0.7); P(code | fine=0) = (0.25, 0.75); P(code | fine=1) = (1/3, 2/3)
    ref = max(0.5 * (abs(0.25 - 0.3) + abs(0.75 - 0.7)), 0.5 * (abs(1 / 3 - 0.3) + abs(2 / 3 - 0.7)))
    assert abs(pj.independence_gap(code, fine, coarse, w) - ref) <= 1e-12


def test_zero_mass_message_lists_the_empty_events():
    with pytest.raises(ValueError, match=r"events \[1\] have zero mass"):
        pj.conditional_mean(torch.ones(3), [0, 0, 2], torch.ones(3), 3)


def test_vertices_accept_a_tensor_that_requires_grad():
    P = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.25, 0.25]], requires_grad=True)
    assert pj.vertices(P).tolist() == [True, True, True, False]


def test_exact_pieces_drop_a_kink_two_units_share():
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.fill_(-0.5)
        net[2].weight.fill_(1.0)
        net[2].bias.zero_()
    for exact in (False, True):
        p = R.pieces_1d(net, 0.0, 1.0, exact=exact)
        assert p.count == 2 and [float(e) for e in p.edges] == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("layers", [[nn.ReLU(), nn.Linear(2, 1)], [nn.Linear(2, 2), nn.ReLU(), nn.ReLU(), nn.Linear(2, 1)]])
def test_affine_layers_refuse_a_relu_without_its_linear(layers):
    with pytest.raises(TypeError, match="does not follow a Linear layer"):
        R.affine_layers(nn.Sequential(*layers))


def test_region_messages_name_their_argument():
    with pytest.raises(TypeError, match=r"^M must be a real number"):
        R.zigzag_coefficients([0.5], "1")
    with pytest.raises(TypeError, match=r"^x\b"):
        pj.beta_expansion([torch.eye(2), torch.ones(1, 2)], [torch.eye(2), torch.ones(1, 2)], "x", 1)
    with pytest.raises(ValueError, match=r"^P has 5001 rows"):
        pj.vertices(np.zeros((5001, 2)))
