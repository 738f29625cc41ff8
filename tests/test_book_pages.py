"""The generated pages on a synthetic book: a ledger row per claim and a Findings row per finding, each linking to
the very cell that checked it, and the Paper-scale results page showing a recorded run.

One synthetic chapter calls the real `relulab.claims.verify` and `relulab.finding`; the book is built with the
real configuration and extensions (tools/stage_book.py, tools/build_book.py) and checked with
tests/check_book_pages.py, the same check `make html` runs on the real book.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

import build_book  # noqa: E402
import check_book_pages as cbp  # noqa: E402
import paper_scale as ps  # noqa: E402
import run_chapters as rc  # noqa: E402
import stage_book as sb  # noqa: E402

CHAPTER = "chapters/part1-test/01-synthetic"
REPO = "https://github.com/example-owner/example-book"
CELLS = [
    "# A synthetic chapter\n\nOne claim and two findings, checked by the library itself.",
    'seed = 0\nscale = "book"',
    "import relulab",
    "relulab.claims.verify('arora.thm2.1', 0.0, 0.0, 1e-10, 1.0, quantity='max |net - f|')",
    "relulab.finding('test.too-strong', 0.0, 0.0, 1e-9, claim='tian.thm1', kind='needlessly-strong',\n"
    "                paper_says='Thm 1 assumes every level injective', book_says='Injective below level 2 suffices',\n"
    "                text_read='yes: arXiv v2, Thm 1', quantity='max gradient error, lossy level 3')",
    "relulab.finding('test.printed-count', 2.0, 1.0, 0.0, relation='>=', claim='arora.thm3.9', kind='corrects',\n"
    "                paper_says='the count printed in Thm 3.9', book_says='twice the printed count',\n"
    "                text_read='no: the appendix is not available', quantity='true / printed count')",
]


@pytest.fixture(scope="module")
def built():
    # one folder per xdist worker: two workers may each build it (make test-lib keeps a file on one worker)
    base = ROOT / "_build" / f"test-pages{os.environ.get('PYTEST_XDIST_WORKER', '')}"
    shutil.rmtree(base, ignore_errors=True)
    # built with a repository configured (make html builds the real book without one: both ways are checked)
    src = sb.stage(base / "src", env={"BOOK_REPOSITORY_URL": REPO})
    shutil.rmtree(src / "chapters")
    cells = [nbformat.v4.new_markdown_cell(CELLS[0])] + [nbformat.v4.new_code_cell(c) for c in CELLS[1:]]
    cells[1].metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = src / f"{CHAPTER}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    _, _, err = rc.run_one(path, path, {})
    assert err is None, err
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: book/findings\nparts:\n  - caption: Front\n    chapters:\n"
        "      - file: book/ledger\n      - file: book/paper-scale\n"
        "  - caption: Part I — Synthetic\n    numbered: true\n    chapters:\n"
        f"      - file: {CHAPTER}\n",
        encoding="utf-8",
    )
    executed = json.loads(path.read_text(encoding="utf-8"))
    run = {
        "chapter": f"{CHAPTER}.ipynb",
        "status": "ok",
        "date": "2026-01-01",
        "commit": "abc",
        "code": ps.code_hash(executed),
        "seconds_wall": 12.5,
        "seconds_cpu": 20.0,
        "machine": {"cpu": "a test CPU", "cores": 2},
        "parameters": {"seed": "0", "scale": "'paper'"},
        "claims": [
            {
                "id": "arora.thm2.1",
                "measured": 0.0,
                "reference": 0.0,
                "relation": "==",
                "tolerance": 1e-10,
                "passed": True,
                "quantity": "q",
            }
        ],
    }
    (src / "book" / "paper_runs.json").write_text(json.dumps({f"{CHAPTER}.ipynb": run}), encoding="utf-8")
    assert build_book.build(src, "html", out_root=base) == 0
    cbp._pages.clear()
    return src, base / "_build" / "html"


def test_every_finding_and_claim_has_its_row_linking_to_its_cell(built):
    src, html = built
    assert cbp.check(html, src) == []
    findings = cbp.page(html / "book" / "findings.html")
    chapter = f"../{CHAPTER}.html"
    assert findings.rows["findings-row-test-too-strong"][0] == f"{chapter}#finding-test-too-strong"
    assert findings.rows["findings-row-test-printed-count"][0] == f"{chapter}#finding-test-printed-count"
    ledger = cbp.page(html / "book" / "ledger.html")
    assert ledger.rows["ledger-arora-thm2-1"][0] == f"{chapter}#claim-arora-thm2-1"
    target = cbp.page(html / f"{CHAPTER}.html")
    assert {"finding-test-too-strong", "finding-test-printed-count", "claim-arora-thm2-1"} <= target.ids


def test_the_findings_page_shows_the_papers_statement_the_measurement_and_the_correction(built):
    _, html = built
    text = (html / "book" / "findings.html").read_text(encoding="utf-8")
    for words in (
        "Thm 1 assumes every level injective",
        "Injective below level 2 suffices",
        "yes: arXiv v2, Thm 1",
        "true / printed count: 2 &gt;= 1",
        "Tian 2018, Theorem 1",
        "Needlessly strong (1)",
        "Corrected (1)",
        "no: the appendix is not available",
    ):
        assert words in text, words


def test_a_missing_row_or_a_broken_link_is_reported(built, tmp_path):
    src, html = built
    copy = tmp_path / "html"
    shutil.copytree(html, copy)
    f = copy / "book" / "findings.html"
    f.write_text(f.read_text(encoding="utf-8").replace('id="findings-row-test-too-strong"', ""), encoding="utf-8")
    c = copy / f"{CHAPTER}.html"
    c.write_text(c.read_text(encoding="utf-8").replace('id="claim-arora-thm2-1"', ""), encoding="utf-8")
    cbp._pages.clear()
    problems = cbp.check(copy, src)
    cbp._pages.clear()
    assert any("no row for finding test.too-strong" in p for p in problems)
    assert any("arora.thm2.1" in p and "no element #claim-arora-thm2-1" in p for p in problems)


def test_a_configured_repository_gets_repository_issue_and_launch_buttons(built):
    _, html = built
    text = (html / f"{CHAPTER}.html").read_text(encoding="utf-8")
    for link in (
        f'href="{REPO}"',
        f"{REPO}/issues/new",
        f"https://mybinder.org/v2/gh/example-owner/example-book/main?urlpath=tree/{CHAPTER}.ipynb",
        f"https://colab.research.google.com/github/example-owner/example-book/blob/main/{CHAPTER}.ipynb",
    ):
        assert link in text, link
    assert "paths-and-gates/paths-and-gates" not in text


def test_the_paper_scale_page_shows_the_recorded_run(built):
    _, html = built
    text = (html / "book" / "paper-scale.html").read_text(encoding="utf-8")
    assert "Ran on 2026-01-01" in text and "12.5 s wall" in text and "a test CPU" in text
    assert "1 of 1 claim records passed" in text and "has changed since" not in text
