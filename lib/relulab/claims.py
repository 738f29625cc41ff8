"""The verification ledger: one call checks one claim and its negative control.

A claim is verified by comparing a *measured* quantity with a *reference* (a value or a bound) under a
*tolerance* the chapter justifies.  The same comparison is then applied to the *negative control* (the
measurement repeated with one hypothesis broken), which must **fail** it, by a visible margin.  The call
shows a one-line result, emits a machine-readable record (MIME type ``application/vnd.relulab.claim+json``)
that the committed notebook carries, and raises :class:`ClaimFailed` so that papermill stops when either
the claim fails or the control does not.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Literal

from . import check

__all__ = [
    "ClaimFailed", "ClaimRecord", "FindingFailed", "FindingRecord", "anchor", "finding", "finding_line",
    "findings_in_notebook", "records_in_notebook", "summary_line", "verify",
]

MIME = "application/vnd.relulab.claim+json"
FINDING_MIME = "application/vnd.relulab.finding+json"
# How a finding departs from the paper (the Findings page groups by it).
FINDING_KINDS = ("corrects", "narrows", "needlessly-strong", "not-reproduced", "clarifies")
Relation = Literal["==", "<=", ">=", "<", ">"]
_RELATIONS = ("==", "<=", ">=", "<", ">")
# The specification (papers.md, 0.3) asks a control to miss by >= 100x the tolerance to count as visible.
DEFAULT_CONTROL_MARGIN = 100.0


RECORDS: list["ClaimRecord"] = []  # every claim verified in this process, in order
FINDINGS: list["FindingRecord"] = []  # every finding checked in this process, in order


class ClaimFailed(AssertionError):
    """A claim did not hold, or its negative control did not fail."""


@dataclass(frozen=True)
class ClaimRecord:
    """What the ledger stores for one verified claim."""

    id: str
    passed: bool
    measured: float
    reference: float
    tolerance: float
    relation: str
    control: str
    control_measured: float
    control_margin: float
    quantity: str
    control_quantity: str
    note: str
    narrowed: str = ""  # the narrower statement verified, when the paper's claim is not verified as stated

    def to_json(self) -> dict[str, Any]:
        """The JSON-serialisable record (non-finite floats become strings; `narrowed` only when set)."""
        return {k: _jsonable(v) for k, v in asdict(self).items() if k != "narrowed" or v}


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def _round(x: float, digits: int = 4) -> float:
    """Round to `digits` significant digits so that stored outputs are stable across runs."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _excess(measured: float, reference: float, relation: str) -> float:
    """How far `measured` lies outside the accepted side of `reference` (<= 0 means inside)."""
    if relation == "==":
        return abs(measured - reference)
    if relation in ("<=", "<"):
        return measured - reference
    return reference - measured


def _holds(measured: float, reference: float, tolerance: float, relation: str) -> bool:
    excess = _excess(measured, reference, relation)
    # a strict relation refuses the boundary: "> 0" with tolerance 0 fails on exactly 0
    return excess < tolerance if relation in ("<", ">") else excess <= tolerance


def _margin(measured: float, reference: float, tolerance: float, relation: str) -> float:
    """The control's miss in units of the tolerance (inf when the tolerance is 0 and it misses)."""
    excess = _excess(measured, reference, relation)
    if tolerance > 0:
        return excess / tolerance
    return math.inf if not _holds(measured, reference, tolerance, relation) else 0.0


def _judged(measured: Any, reference: Any, tolerance: Any, relation: str) -> tuple[float, float, float, bool]:
    """`measured`, `reference` and `tolerance` as numbers, and whether the relation holds."""
    check.choice("relation", relation, _RELATIONS)
    m, r = check.real("measured", measured), check.real("reference", reference)
    tol = check.real("tolerance", tolerance, low=0)
    return m, r, tol, _holds(m, r, tol, relation)


def verify(
    claim_id: str,
    measured: Any,
    reference: Any,
    tolerance: float,
    control: Any,
    *,
    relation: Relation = "==",
    quantity: str = "",
    control_quantity: str = "",
    control_margin: float = DEFAULT_CONTROL_MARGIN,
    note: str = "",
    narrowed: str = "",
    display: bool = True,
) -> None:
    """Verify one claim and its negative control; show, record and raise on failure.

    `relation` says how `measured` must relate to `reference`: ``"=="`` means ``|measured - reference| <= tolerance``;
    ``"<="`` means ``measured <= reference + tolerance``; ``">="`` means ``measured >= reference - tolerance``;
    ``"<"`` and ``">"`` are the strict forms (``measured > reference - tolerance``), for a statistical rule such as
    "the lower bound is > 0" with tolerance 0.
    The negative control's measured value `control` must violate the same relation by more than
    ``control_margin`` tolerances (a margin below the default of 100 must be justified by the chapter).
    `narrowed` states the narrower statement verified when the paper's claim is not verified as stated (the ledger
    then shows it beside the claim, never a bare PASS).
    The record is shown in the cell and appended to :data:`RECORDS`; nothing is returned, so a claim cell
    displays exactly one line.
    """
    if not isinstance(claim_id, str) or not claim_id or " " in claim_id:
        raise ValueError(f"claim_id must be a non-empty id without spaces, got {claim_id!r}")
    m, r, tol, passed = _judged(measured, reference, tolerance, relation)
    c = check.real("control", control)
    check.real("control_margin", control_margin, low=1)  # a control must at least miss the tolerance
    texts = (("quantity", quantity), ("control_quantity", control_quantity), ("note", note), ("narrowed", narrowed))
    for name, text in texts:
        check.text(name, text)

    margin = _margin(c, r, tol, relation)
    control_failed = margin > control_margin
    record = ClaimRecord(
        id=claim_id,
        passed=bool(passed and control_failed),
        measured=_round(m),
        reference=_round(r),
        tolerance=_round(tol),
        relation=relation,
        control="failed as expected" if control_failed else "DID NOT FAIL",
        control_measured=_round(c),
        control_margin=_round(margin, 3),
        quantity=quantity,
        control_quantity=control_quantity,
        note=note,
        narrowed=narrowed,
    )
    RECORDS.append(record)
    if display:
        _show(summary_line(record), MIME, record.to_json(), anchor("claim", claim_id))
    if not passed:
        raise ClaimFailed(
            f"{claim_id}: measured {m:.6g} does not satisfy {relation} {r:.6g} within tolerance {tol:.3g}"
        )
    if not control_failed:
        raise ClaimFailed(
            f"{claim_id}: the negative control ({control_quantity or 'control'} = {c:.6g}) did not fail: it misses "
            f"the reference by {margin:.3g} tolerances, needs more than {control_margin:g}"
        )


class FindingFailed(ClaimFailed):
    """The evidence for a finding against a paper did not hold: the book must not state the finding."""


@dataclass(frozen=True)
class FindingRecord:
    """What the Findings page stores for one place where the book departs from a paper."""

    id: str
    claim: str
    kind: str
    paper_says: str
    book_says: str
    text_read: str
    passed: bool
    measured: float
    reference: float
    tolerance: float
    relation: str
    quantity: str

    def to_json(self) -> dict[str, Any]:
        """The JSON-serialisable record (non-finite floats become strings)."""
        return {k: _jsonable(v) for k, v in asdict(self).items()}


def finding(
    finding_id: str,
    measured: Any,
    reference: Any,
    tolerance: float,
    *,
    claim: str,
    kind: str,
    paper_says: str,
    book_says: str,
    text_read: str,
    relation: Relation = "==",
    quantity: str = "",
    display: bool = True,
) -> None:
    """Check the evidence for a finding against a paper; show, record and raise if it does not hold.

    A finding is a claim of the book's own (design.md, "Findings are claims too"): the cell that states it
    measures the evidence (`measured` against `reference` under `relation`, as in :func:`verify`) and raises
    :class:`FindingFailed` when the evidence does not hold, so a wrong erratum cannot be committed.
    `claim` is the ledger id the finding is about; `kind` is one of :data:`FINDING_KINDS`; `paper_says`
    quotes the paper's statement with its label, `book_says` gives the corrected statement with the exact
    conditions under which it holds; `text_read` says where the paper's text was read to confirm the
    reading (``"yes: arXiv v3, Thm 3.9"``) or why it could not be (``"no: ..."``).
    """
    for name, v in (("finding_id", finding_id), ("claim", claim)):
        if not isinstance(v, str) or not v or " " in v:
            raise ValueError(f"{name} must be a non-empty id without spaces, got {v!r}")
    check.choice("kind", kind, FINDING_KINDS)
    for name, v in (("paper_says", paper_says), ("book_says", book_says), ("text_read", text_read)):
        if not check.text(name, v).strip():
            raise ValueError(f"{name} must be a non-empty str")
    if not text_read.startswith(("yes", "no")):
        raise ValueError(f"text_read must start with 'yes' (where it was read) or 'no' (why not), got {text_read!r}")
    m, r, tol, passed = _judged(measured, reference, tolerance, relation)
    record = FindingRecord(
        id=finding_id, claim=claim, kind=kind, paper_says=paper_says, book_says=book_says, text_read=text_read,
        passed=bool(passed), measured=_round(m), reference=_round(r), tolerance=_round(tol), relation=relation,
        quantity=check.text("quantity", quantity),
    )
    FINDINGS.append(record)
    if display:
        _show(finding_line(record), FINDING_MIME, record.to_json(), anchor("finding", finding_id))
    if not passed:
        raise FindingFailed(
            f"{finding_id}: the evidence ({quantity or 'measured'} = {m:.6g}) does not satisfy {relation} {r:.6g} "
            f"within {tol:.3g}: the finding against the paper does not hold and must not be stated"
        )


def finding_line(rec: FindingRecord) -> str:
    """The one-line text shown in the notebook for a finding."""
    check.instance("rec", rec, FindingRecord)
    mark = "HOLDS" if rec.passed else "DOES NOT HOLD"
    what = f"{rec.quantity} = " if rec.quantity else "measured "
    return (
        f"[FINDING {mark}] {rec.id} ({rec.kind} {rec.claim}): {what}{rec.measured:.4g} {rec.relation} "
        f"{rec.reference:.4g} (tol {rec.tolerance:.2g})"
    )


def summary_line(rec: ClaimRecord) -> str:
    """The one-line text shown in the notebook for a record."""
    check.instance("rec", rec, ClaimRecord)
    mark = ("PASS" if rec.passed else "FAIL") + (", narrowed" if rec.narrowed else "")
    what = f"{rec.quantity} = " if rec.quantity else "measured "
    return (
        f"[{mark}] {rec.id}: {what}{rec.measured:.4g} {rec.relation} {rec.reference:.4g} "
        f"(tol {rec.tolerance:.2g}) | control: {rec.control} "
        f"({rec.control_measured:.4g}, {rec.control_margin:.3g} x tol)"
    )


def anchor(kind: str, record_id: str) -> str:
    """The HTML id of the cell output that shows a record: the ledger and Findings pages link to it."""
    check.text("kind", kind)
    check.text("record_id", record_id)
    return f"{kind}-" + re.sub(r"[^a-z0-9]+", "-", record_id.lower()).strip("-")


def _show(line: str, mime: str, payload: dict[str, Any], html_id: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency, but keep the library usable without it
        print(line)
        return
    if get_ipython() is None:
        print(line)
        return
    # The HTML form carries an anchor so that the generated pages can link to the very cell that checked it.
    page = f'<pre class="relulab-record" id="{html_id}">{html.escape(line)}</pre>'
    display({"text/plain": line, "text/html": page, mime: payload}, raw=True)


def records_in_notebook(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield every claim record stored in the outputs of a notebook file."""
    return _records(path, MIME)


def findings_in_notebook(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield every finding record stored in the outputs of a notebook file."""
    return _records(path, FINDING_MIME)


def _records(path: str | Path, mime: str) -> Iterator[dict[str, Any]]:
    # checked here, eagerly: the records themselves are read lazily, as the caller iterates
    check.instance("path", path, (str, Path))
    if not Path(path).is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file")
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"path {str(path)!r} is not a notebook (not JSON): {exc}") from exc
    if not isinstance(nb, dict):
        raise ValueError(f"path {str(path)!r} is not a notebook (top level is not a JSON object)")
    outputs = (out.get("data", {}) for cell in nb.get("cells", []) for out in cell.get("outputs", []))
    return (json.loads(d[mime]) if isinstance(d[mime], str) else d[mime] for d in outputs if mime in d)
