"""Check the generated pages of a built book against the notebooks it was built from.

    python tests/check_book_pages.py [_build/html] [--src _build/src]

- the Verification ledger has one row per claim of book/claims.yml, and every row of a verified claim links to a
  page that exists, at an element that exists on it (the cell output `relulab.claims.verify` anchored);
- the Findings page has one row per finding record in the built chapters, linking to its evidence cell the same way;
- the Paper-scale results page has one row per chapter;
- no page carries the old placeholder repository, and the repository / launch buttons follow the staged
  configuration: absent when no repository is configured, pointing at it when one is.
Exits 1 listing every problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from docutils.nodes import make_id

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from relulab_records import collect  # noqa: E402

PLACEHOLDER = "github.com/paths-and-gates/paths-and-gates"
LAUNCH = re.compile(r"(mybinder\.org|colab\.research\.google\.com)[^\"'<> ]*")


class Page(HTMLParser):
    """Every element id of a page, and the links (href) inside each table row that has an id."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.rows: dict[str, list[str]] = {}
        self._row: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "tr":
            self._row = a.get("id")
            if self._row:
                self.rows[self._row] = []
        elif tag == "a" and self._row and a.get("href"):
            self.rows[self._row].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None


_pages: dict[Path, Page] = {}


def page(path: Path) -> Page:
    if path not in _pages:
        p = Page()
        p.feed(path.read_text(encoding="utf-8", errors="replace"))
        _pages[path] = p
    return _pages[path]


def link_problem(html_dir: Path, from_page: Path, href: str, anchor: str | None) -> str | None:
    """None if `href` (from `from_page`) reaches an existing page, at `anchor` when the record has one."""
    parts = urlsplit(href)
    target = (from_page.parent / unquote(parts.path)).resolve() if parts.path else from_page
    if not target.is_file() or not target.is_relative_to(html_dir.resolve()):
        return f"links to {href}, which is not a page of the book"
    if anchor and parts.fragment != anchor:
        return f"links to {href}, not to the cell #{anchor}"
    if parts.fragment and parts.fragment not in page(target).ids:
        return f"links to {href}, but {target.name} has no element #{parts.fragment}"
    return None


def check(html_dir: Path, src: Path) -> list[str]:
    problems: list[str] = []
    claims = yaml.safe_load((src / "book" / "claims.yml").read_text(encoding="utf-8"))
    records = collect(src)
    ledger_path = html_dir / "book" / "ledger.html"
    ledger = page(ledger_path)
    for cid in claims:
        row = ledger.rows.get("ledger-" + make_id(cid))
        if row is None:
            problems.append(f"ledger: no row for claim {cid}")
            continue
        rec = records["claim"].get(cid)
        if rec is not None:
            if not row:
                problems.append(f"ledger: the row of {cid} has no link to its chapter")
            for href in row[:1]:
                why = link_problem(html_dir, ledger_path, href, rec.anchor)
                if why:
                    problems.append(f"ledger: {cid} {why}")
    findings_path = html_dir / "book" / "findings.html"
    findings = page(findings_path)
    for fid, rec in records["finding"].items():
        row = findings.rows.get("findings-row-" + make_id(fid))
        if row is None:
            problems.append(f"findings: no row for finding {fid} ({rec.doc})")
            continue
        if not row:
            problems.append(f"findings: the row of {fid} has no link to its evidence")
        for href in row[:1]:
            why = link_problem(html_dir, findings_path, href, rec.anchor)
            if why:
                problems.append(f"findings: {fid} {why}")
    paper_path = html_dir / "book" / "paper-scale.html"
    if paper_path.exists():
        text = paper_path.read_text(encoding="utf-8", errors="replace")
        chapters = sorted(
            p.relative_to(src).with_suffix(".html").as_posix() for p in (src / "chapters").rglob("*.ipynb")
        )
        for ch in chapters:
            if ch.rsplit("/", 1)[-1] not in text:
                problems.append(f"paper-scale results: no row for {ch}")
    else:
        problems.append("no Paper-scale results page (book/paper-scale.html)")
    problems += repository_problems(html_dir, src)
    return problems


def repository_problems(html_dir: Path, src: Path) -> list[str]:
    """Placeholder and button checks against the staged configuration (tools/stage_book.py)."""
    cfg = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8"))
    url = (cfg.get("repository") or {}).get("url", "")
    problems = []
    n_launch = 0
    for f in sorted(html_dir.rglob("*.html")):
        text = f.read_text(encoding="utf-8", errors="replace")
        rel = f.relative_to(html_dir)
        if PLACEHOLDER in text:
            problems.append(f"{rel}: carries the placeholder repository {PLACEHOLDER}")
        launches = LAUNCH.findall(text)
        n_launch += len(launches)
        if not url and (launches or "repository-button" in text or "btn-source-repository" in text):
            problems.append(f"{rel}: a repository or launch button although no repository is configured")
        if url:
            slug = urlsplit(url).path.strip("/")
            for m in LAUNCH.finditer(text):
                if slug not in m.group(0):
                    problems.append(f"{rel}: launch link {m.group(0)} does not point at {url}")
    if url and n_launch == 0:
        problems.append(f"a repository is configured ({url}) but no page has a launch button")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", nargs="?", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--src", default=str(ROOT / "_build" / "src"), help="the staged sources the book was built from")
    args = ap.parse_args()
    html_dir, src = Path(args.html).resolve(), Path(args.src).resolve()
    problems = check(html_dir, src)
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    print(f"generated pages: {len(problems)} problems (ledger, findings, paper-scale results, repository links)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
