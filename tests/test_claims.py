"""The ledger call: passes what holds, raises on what fails, and insists that the control fails."""

import math

import pytest

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


def test_zero_tolerance_integer_claim():
    verify("t.count", 17, 17, 0, 8, display=False)
    assert math.isinf(last().control_margin)
    with pytest.raises(ClaimFailed):
        verify("t.count", 16, 17, 0, 8, display=False)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(claim_id=""), ValueError, "claim_id"),
        (dict(claim_id="has space"), ValueError, "claim_id"),
        (dict(measured=float("nan")), ValueError, "NaN"),
        (dict(measured=[1.0, 2.0]), ValueError, "single number"),
        (dict(measured="abc"), TypeError, "number"),
        (dict(tolerance=-1.0), ValueError, "tolerance"),
        (dict(relation="<"), ValueError, "relation"),
        (dict(control_margin=0.5), ValueError, "control_margin"),
    ],
)
def test_bad_input(kwargs, exc, match):
    args = dict(claim_id="t.bad", measured=0.0, reference=0.0, tolerance=1e-10, control=1.0, display=False)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        verify(**args)


def test_a_finding_whose_evidence_holds_is_recorded_and_one_that_fails_raises():
    claims.finding("t.finding", 2.0, 2.0, 0.0, claim="arora.thm3.9", kind="corrects", paper_says="p",
                   book_says="b", text_read="yes: p. 1", display=False)
    assert claims.FINDINGS[-1].passed and claims.FINDINGS[-1].claim == "arora.thm3.9"
    with pytest.raises(claims.FindingFailed, match="must not be stated"):
        claims.finding("t.finding2", 1.0, 2.0, 0.5, claim="arora.thm3.9", kind="corrects", paper_says="p",
                       book_says="b", text_read="no: not in the corpus", display=False)
    assert not claims.FINDINGS[-1].passed


def test_anchor_is_a_stable_html_id():
    assert claims.anchor("claim", "arora.thm2.1-converse") == "claim-arora-thm2-1-converse"
