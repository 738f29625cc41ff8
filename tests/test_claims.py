"""The ledger call: passes what holds, raises on what fails, and insists that the control fails."""

import json
import math
from pathlib import Path

import pytest
import torch

from relulab import claims
from relulab.claims import ClaimFailed, verify


def last():
    return claims.RECORDS[-1]


def test_identity_passes_and_records():
    verify("t.identity", 1e-14, 0.0, 1e-10, 0.5, display=False)
    rec = last()
    assert rec.passed and rec.control == "failed as expected"
    assert rec.control_margin == pytest.approx(0.5 / 1e-10, rel=1e-3)
    js = rec.to_json()
    assert {"id", "passed", "measured", "reference", "tolerance", "control"} <= js.keys()


def test_failing_claim_raises():
    with pytest.raises(ClaimFailed, match="t.fail"):
        verify("t.fail", 1e-3, 0.0, 1e-10, 1.0, display=False)
    assert not last().passed


def test_control_that_does_not_fail_raises():
    with pytest.raises(ClaimFailed, match="negative control"):
        verify("t.ctrl", 0.0, 0.0, 1e-10, 1e-11, display=False)
    assert last().control == "DID NOT FAIL"


def test_control_must_miss_visibly():
    # misses by 10 tolerances: not visible under the default margin of 100, accepted when the chapter lowers it
    with pytest.raises(ClaimFailed):
        verify("t.margin", 0.0, 0.0, 0.1, 1.0, display=False)
    verify("t.margin", 0.0, 0.0, 0.1, 1.0, control_margin=5, display=False)
    assert last().passed


@pytest.mark.parametrize(
    "relation, measured, control, ok",
    [("<=", 0.9, 2.0, True), ("<=", 1.1, 2.0, False), (">=", 1.1, 0.0, True), (">=", 0.9, 0.0, False)],
)
def test_inequalities(relation, measured, control, ok):
    kw = dict(relation=relation, display=False, control_margin=1)
    if ok:
        verify("t.ineq", measured, 1.0, 1e-3, control, **kw)
    else:
        with pytest.raises(ClaimFailed):
            verify("t.ineq", measured, 1.0, 1e-3, control, **kw)


@pytest.mark.parametrize("relation, sign", [(">", 1.0), ("<", -1.0)])
def test_a_strict_relation_with_zero_tolerance_refuses_the_boundary(relation, sign):
    # the statistical rule "lower bound > 0": a degenerate contrast (exactly 0) must not pass
    verify("t.strict", sign * 0.5, 0.0, 0.0, -sign * 0.5, relation=relation, display=False)
    assert last().passed and math.isinf(last().control_margin)
    with pytest.raises(ClaimFailed):
        verify("t.strict", 0.0, 0.0, 0.0, -sign * 0.5, relation=relation, display=False)
    # a control exactly on the boundary violates the strict relation: it fails as expected
    verify("t.strict", sign * 0.5, 0.0, 0.0, 0.0, relation=relation, display=False)
    assert last().passed
    # the same boundary passes the non-strict relation
    verify("t.strict", 0.0, 0.0, 0.0, -sign * 0.5, relation=relation + "=", display=False)


def test_zero_tolerance_integer_claim():
    verify("t.count", 17, 17, 0, 8, display=False)
    assert math.isinf(last().control_margin)
    with pytest.raises(ClaimFailed):
        verify("t.count", 16, 17, 0, 8, display=False)


def test_a_finding_whose_evidence_holds_is_recorded_and_one_that_fails_raises():
    claims.finding(
        "t.finding",
        2.0,
        2.0,
        0.0,
        claim="arora.thm3.9",
        kind="corrects",
        paper_says="p",
        book_says="b",
        text_read="yes: p. 1",
        display=False,
    )
    assert claims.FINDINGS[-1].passed and claims.FINDINGS[-1].claim == "arora.thm3.9"
    with pytest.raises(claims.FindingFailed, match="must not be stated"):
        claims.finding(
            "t.finding2",
            1.0,
            2.0,
            0.5,
            claim="arora.thm3.9",
            kind="corrects",
            paper_says="p",
            book_says="b",
            text_read="no: not in the corpus",
            display=False,
        )
    assert not claims.FINDINGS[-1].passed


def test_anchor_is_a_stable_html_id():
    assert claims.anchor("claim", "arora.thm2.1-converse") == "claim-arora-thm2-1-converse"


# ---------------------------------------------------------------- what a record stores and how it is shown


def test_record_stores_tolerance_control_quantity_and_note():
    verify("t.fields", 1.0, 1.0, 0.125, 50.0, quantity="q", control_quantity="cq", note="n", display=False)
    rec = last()
    assert (rec.tolerance, rec.control_measured, rec.control_quantity, rec.quantity, rec.note) == (
        0.125,
        50.0,
        "cq",
        "q",
        "n",
    )
    assert rec.control_margin == 392.0 and rec.passed


def test_record_rounds_to_four_significant_digits_and_margin_to_three():
    verify("t.round", 1.23456789, 1.0, 0.5, 123.456789, display=False)
    rec = last()
    assert rec.measured == 1.235 and rec.control_measured == 123.5
    assert rec.control_margin == 245.0  # |123.456789 - 1| / 0.5 = 244.91... -> 3 significant digits


def test_record_json_keeps_finite_floats_and_spells_infinite_ones():
    verify("t.json", 0.0, 0.0, 0.0, 1.0, display=False)  # zero tolerance: the control's margin is inf
    js = last().to_json()
    assert js["control_margin"] == "inf" and js["measured"] == 0.0 and isinstance(js["control_measured"], float)
    json.dumps(js, allow_nan=False)  # valid strict JSON


def test_verify_reads_a_tensor_that_requires_grad():
    t = torch.tensor(1.0, requires_grad=True) * 1.0
    verify("t.grad", t, 1.0, 0.1, 50.0, display=False)
    assert last().measured == 1.0


def test_record_is_displayed_with_its_mime_bundle(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    verify("t.display", 1.0, 1.0, 0.1, 50.0)
    ((bundle, raw),) = shown
    assert raw and bundle["text/plain"].startswith("[PASS] t.display") and bundle[claims.MIME]["id"] == "t.display"


def test_summary_line_is_printed_outside_ipython(capsys):
    verify("t.print", 2.0, 2.0, 0.1, 50.0, relation="<=")
    out = capsys.readouterr().out.strip()
    assert out == claims.summary_line(last()) and out.startswith("[PASS] t.print: measured 2 <= 2")
    assert last().relation == "<="
    verify("t.print2", 2.0, 2.0, 0.1, 50.0, quantity="err")
    assert capsys.readouterr().out.startswith("[PASS] t.print2: err = 2 == 2")


def test_a_narrowed_claim_says_so_in_its_record_and_its_line():
    verify("t.narrow", 1.0, 1.0, 0.1, 50.0, narrowed="A > B only", display=False)
    rec = last()
    assert rec.narrowed == "A > B only" and rec.to_json()["narrowed"] == "A > B only"
    assert claims.summary_line(rec).startswith("[PASS, narrowed] t.narrow")
    verify("t.wide", 1.0, 1.0, 0.1, 50.0, display=False)  # stored outputs stay as they were
    assert "narrowed" not in last().to_json()


def test_summary_line_marks_a_failed_record():
    rec = claims.ClaimRecord("t.f", False, 2.0, 1.0, 0.1, "==", "DID NOT FAIL", 1.0, 0.0, "", "", "")
    assert claims.summary_line(rec).startswith("[FAIL] t.f")


# ---------------------------------------------------------------- the negative control's boundaries


def test_control_equal_to_the_reference_under_zero_tolerance_did_not_fail():
    with pytest.raises(ClaimFailed, match="did not fail"):
        verify("t.exact", 1.0, 1.0, 0.0, 1.0, display=False)  # zero tolerance, zero miss: margin 0, not inf


def test_control_exactly_at_the_margin_does_not_count_as_failed():
    # the control must miss by MORE than control_margin tolerances
    with pytest.raises(AssertionError, match="negative control"):
        verify("t.edge", 0.0, 0.0, 0.5, 50.0, display=False)  # |50 - 0| / 0.5 = 100 = margin
    verify("t.edge2", 0.0, 0.0, 0.5, 50.5, display=False)


def test_failed_control_message_says_control_when_unnamed():
    with pytest.raises(AssertionError, match=r"the negative control \(control = 1\.05\)"):
        verify("t.ctrl", 1.0, 1.0, 0.1, 1.05, display=False)


# ---------------------------------------------------------------- reading records back from a notebook


def _notebook(tmp_path, cells) -> Path:
    p = tmp_path / "nb.ipynb"
    p.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return p


def test_records_in_notebook_reads_the_records_of_a_valid_notebook(tmp_path):
    rec = claims.ClaimRecord("t.x", True, 1.0, 1.0, 0.1, "==", "failed as expected", 3.0, 20.0, "", "", "")
    p = _notebook(tmp_path, [{"outputs": [{"data": {claims.MIME: rec.to_json()}}]}])
    assert [r["id"] for r in claims.records_in_notebook(p)] == ["t.x"]
    assert claims.summary_line(rec).startswith("[PASS] t.x")


def test_records_in_notebook_skips_cells_and_outputs_without_records(tmp_path):
    # a markdown cell has no outputs, a stream output has no "data", a notebook may have no cells: none is an
    # error, none holds a record
    rec = {"id": "t.y", "passed": True}
    p = _notebook(
        tmp_path,
        [
            {"cell_type": "markdown", "source": "text"},
            {"outputs": [{"output_type": "stream", "text": "hi"}, {"data": {claims.MIME: rec}}]},
        ],
    )
    assert [r["id"] for r in claims.records_in_notebook(p)] == ["t.y"]
    p.write_text("{}", encoding="utf-8")
    assert list(claims.records_in_notebook(p)) == []


def test_records_stored_as_json_strings_are_decoded(tmp_path):
    rec = {"id": "t.str", "passed": True}
    p = _notebook(tmp_path, [{"outputs": [{"data": {claims.MIME: json.dumps(rec)}}]}])
    assert list(claims.records_in_notebook(p)) == [rec]


def test_a_finding_is_displayed_with_its_record_and_read_back_from_the_notebook(monkeypatch, tmp_path):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    kw = dict(claim="arora.thm3.9", kind="corrects", book_says="b", text_read="yes: p. 1", quantity="pieces")
    claims.finding("t.shown", 3, 3, 0, paper_says="the paper", **kw)
    (bundle,) = shown
    rec = bundle[claims.FINDING_MIME]
    assert rec["id"] == "t.shown" and rec["paper_says"] == "the paper" and rec["quantity"] == "pieces"
    assert bundle["text/plain"].startswith("[FINDING HOLDS] t.shown (corrects arora.thm3.9): pieces = 3")
    p = _notebook(tmp_path, [{"outputs": [{"data": {claims.MIME: {"id": "t.claim"}, claims.FINDING_MIME: rec}}]}])
    assert list(claims.findings_in_notebook(p)) == [rec]


def test_a_displayed_finding_carries_its_anchor_and_names_the_measured_value_without_a_quantity(monkeypatch):
    # the Findings page links to the cell by this id; a finding without a quantity still says what the number is
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    kw = dict(claim="arora.thm3.9", kind="corrects", paper_says="p", book_says="b", text_read="yes: p. 1")
    claims.finding("t.Anchored_Finding", 3, 3, 0, **kw)
    (bundle,) = shown
    assert 'id="finding-t-anchored-finding"' in bundle["text/html"]
    assert bundle["text/plain"].startswith("[FINDING HOLDS] t.Anchored_Finding (corrects arora.thm3.9): measured 3 ")
    with pytest.raises(claims.FindingFailed, match=r"the evidence \(measured = 1\)"):
        claims.finding("t.unanchored", 1, 3, 0, display=False, **kw)
