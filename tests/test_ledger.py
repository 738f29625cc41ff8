"""The ledger is complete: every claim of the catalogue is listed, every listed claim passed in a committed chapter."""

import json
import re
from pathlib import Path

import pytest
import yaml

from relulab.claims import records_in_notebook

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = yaml.safe_load((ROOT / "book" / "claims.yml").read_text(encoding="utf-8"))
SPEC = ROOT.parent / "shared" / "spec" / "claims.txt"


def book_chapters() -> list[Path]:
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from run_chapters import toc_chapters

    return toc_chapters()


def committed_records() -> dict[str, list[tuple[str, dict]]]:
    found: dict[str, list[tuple[str, dict]]] = {}
    for nb in book_chapters():
        for rec in records_in_notebook(nb):
            found.setdefault(rec["id"], []).append((nb.name, rec))
    return found


@pytest.mark.skipif(not SPEC.exists(), reason="the specification (../shared/spec) is not beside this checkout")
def test_claims_yml_lists_every_catalogue_id():
    ids = [re.split(r"\s+", l.strip())[0] for l in SPEC.read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert sorted(ids) == sorted(CLAIMS)


def test_claims_yml_entries_are_complete():
    for cid, meta in CLAIMS.items():
        assert {"paper", "label", "statement"} <= meta.keys(), cid
        assert meta.get("status", "verified") in ("verified", "pending"), cid


def test_every_listed_claim_passed_in_a_committed_chapter():
    found = committed_records()
    missing = [c for c, m in CLAIMS.items() if m.get("status") != "pending" and c not in found]
    assert not missing, f"claims listed as verified but absent from the committed chapters: {missing}"
    failed = [
        c for c, recs in found.items() for _, r in recs if not r["passed"] or r["control"] != "failed as expected"
    ]
    assert not failed, f"claims that did not pass (or whose control did not fail): {failed}"


def test_pending_claims_are_really_pending_and_no_unknown_ids():
    found = committed_records()
    stale = [c for c, m in CLAIMS.items() if m.get("status") == "pending" and c in found]
    assert not stale, f"verified in a chapter but still marked pending in book/claims.yml: {stale}"
    unknown = [c for c in found if c not in CLAIMS]
    assert not unknown, f"chapters verify ids that book/claims.yml does not list: {unknown}"


def test_every_chapter_is_in_the_book_and_has_parameters():
    in_book = {p.resolve() for p in book_chapters()}
    on_disk = {p.resolve() for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert on_disk == in_book, f"notebooks not in _toc.yml: {sorted(map(str, on_disk - in_book))}"
    for nb in in_book:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(params) == 1, f"{nb.name}: needs exactly one cell tagged 'parameters'"
        src = "".join(params[0]["source"])
        for name in ("seed", "scale"):
            assert re.search(rf"^{name}\s*=", src, re.M), f"{nb.name}: the parameters cell must set `{name}`"
        errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{nb.name}: committed with an error output"


def test_committed_chapters_carry_no_execution_timestamps_or_durations():
    # `make refresh` / `make chapter` strip them (tests/run_chapters.py); a notebook saved another way may not have
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
    dirty = []
    for nb in book_chapters():
        data = json.loads(nb.read_text(encoding="utf-8"))
        metas = [data.get("metadata", {})] + [c.get("metadata", {}) for c in data["cells"]]
        if any("papermill" in m or "execution" in m for m in metas) or stamp.search(json.dumps(metas)):
            dirty.append(nb.name)
    assert not dirty, f"chapters committed with execution metadata (re-execute them with make chapter): {dirty}"
