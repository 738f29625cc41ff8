"""Build the staged book (see tools/stage_book.py) with Jupyter Book, printing only what a reader needs.

    python tools/build_book.py [--src _build/src] [--builder html|singlehtml]

Sphinx's full log (hundreds of progress lines) goes to _build/<builder>.log; the terminal gets one line when the
build starts, every warning and error, and the result.  The build is a full one with warnings as errors
(`--all -n -W --keep-going`): Jupyter Book can exit 0 with a broken chapter otherwise.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROBLEM = re.compile(r"WARNING|ERROR|CRITICAL|SEVERE|Traceback|Exception|Error:")
# Jupyter Book writes to <path-output>/_build/<builder>: the HTML book at the usual place, the single page (for the
# PDF) in a folder of its own so that the two builds never share Sphinx's pickled environment.
OUT_ROOT = {"html": ROOT, "singlehtml": ROOT / "_build" / "pdf"}
OUTPUT = {b: (r / "_build" / b).relative_to(ROOT).as_posix() for b, r in OUT_ROOT.items()}


def build(src: Path, builder: str, out_root: Path | None = None) -> int:
    """Build `src` into `out_root`/_build/`builder`; print its problems; return jupyter-book's exit status."""
    out_root = OUT_ROOT[builder] if out_root is None else out_root
    out = out_root / "_build" / builder
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out_root / "_build" / ".doctrees", ignore_errors=True)
    log = out_root / "_build" / f"{builder}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", "--all", "-n", "-W", "--keep-going", "--builder", builder,
           "--path-output", str(out_root), str(src)]
    print(f"building the book ({builder}) from {_rel(src)}; full log in {_rel(log)}", flush=True)
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, text=True)
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    problems = [line for line in text.splitlines() if PROBLEM.search(line)]
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    secs = time.perf_counter() - start
    if proc.returncode != 0 or not (out / "index.html").exists():
        if not problems:  # a failure that printed nothing we recognise: show the end of the log
            print("\n".join(text.splitlines()[-30:]), file=sys.stderr)
        print(f"book build FAILED ({builder}, {secs:.0f} s): see {_rel(log)}", file=sys.stderr)
        return proc.returncode or 1
    n_pages = len(list(out.rglob("*.html")))
    print(f"book built ({builder}): {n_pages} pages in {_rel(out)}, {len(problems)} warnings, {secs:.0f} s")
    return 0


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default="_build/src", help="the staged book (tools/stage_book.py)")
    ap.add_argument("--builder", default="html", choices=sorted(OUTPUT))
    args = ap.parse_args()
    src = (ROOT / args.src).resolve()
    if not (src / "_config.yml").is_file():
        print(f"no staged book in {src}: run tools/stage_book.py first", file=sys.stderr)
        return 2
    return build(src, args.builder)


if __name__ == "__main__":
    sys.exit(main())
