"""The whole book as one PDF, offline: Chromium prints the single-page HTML build (math rendered by MathJax).

    python tools/make_pdf.py [--src _build/pdf/src] [--out _build/pdf/paths-and-gates.pdf]

Builds the staged sources (tools/stage_book.py --dest _build/pdf/src) with Sphinx's `singlehtml` builder, the
whole book in one page with its own table of contents, then prints that page with headless Chromium (Debian's
`chromium`; `.ci/run` installs it).  Why Chromium and not LaTeX: the PDF shows exactly what the HTML shows (MathJax
math, the chapters' figures and the claim records as rendered, the ledger's table), with no TeX distribution to
install and none of the Markdown/HTML outputs that LaTeX cannot typeset.  Without Chromium it says so and exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
from build_book import OUTPUT, build  # noqa: E402
from check_html import FLAGS, chromium  # noqa: E402

# MathJax typesets the whole single page before printing: Chromium's virtual time lets it finish (it fast-forwards
# timers and waits for the page to be idle), far beyond what the book needs.
VIRTUAL_TIME_MS = 30_000


def print_pdf(browser: str, page: Path, out: Path) -> subprocess.CompletedProcess:
    flags = [f for f in FLAGS if not f.startswith("--virtual-time-budget")]
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [browser, *flags, f"--user-data-dir={profile}", f"--virtual-time-budget={VIRTUAL_TIME_MS}",
             "--run-all-compositor-stages-before-draw", "--no-pdf-header-footer", f"--print-to-pdf={out}",
             page.as_uri()],
            capture_output=True, text=True, timeout=900,
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default="_build/pdf/src", help="the staged book (tools/stage_book.py --dest ...)")
    ap.add_argument("--out", default="_build/pdf/paths-and-gates.pdf")
    args = ap.parse_args()
    out = ROOT / args.out
    out.unlink(missing_ok=True)
    browser = chromium()
    if browser is None:
        print("make pdf: SKIPPED — no Chromium found (Debian: apt-get install chromium); no PDF was made")
        return 0
    src = (ROOT / args.src).resolve()
    if not (src / "_config.yml").is_file():
        print(f"no staged book in {src}: run tools/stage_book.py --dest {args.src} first", file=sys.stderr)
        return 2
    rc = build(src, "singlehtml")
    if rc:
        return rc
    html = ROOT / OUTPUT["singlehtml"]
    # The single page is written where the root document lives (book/intro.html) but its links are relative to the
    # build's root: print a copy placed there.
    page = html / "paths-and-gates.html"
    shutil.copy2(html / "book" / "intro.html", page)
    start = time.perf_counter()
    res = print_pdf(browser, page, out)
    if res.returncode != 0 or not out.exists():
        print(res.stderr[-2000:], file=sys.stderr)
        print(f"make pdf: Chromium could not print {page} (rc {res.returncode})", file=sys.stderr)
        return 1
    print(f"PDF written: {out.relative_to(ROOT)} ({out.stat().st_size / 2**20:.1f} MiB, "
          f"printed in {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
