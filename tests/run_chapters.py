"""Execute the book's chapters with papermill, several at a time, and record how long each took.

    python tests/run_chapters.py --out _build/src/chapters  # make book: executed copies in the build folder
    python tests/run_chapters.py --out DIR -p seed 123      # other parameters (make test)
    python tests/run_chapters.py --in-place [NB ...]        # make refresh / make chapter: outputs into the chapters
    python tests/run_chapters.py --strip [NB ...]           # only drop execution metadata from committed chapters
Every notebook written carries its outputs but no execution metadata (papermill's and nbclient's timestamps and
durations, papermill's paths), and no progress bar (TQDM_DISABLE): re-executing a chapter on the same machine
rewrites it byte for byte.  A kernel runs in the folder of the notebook it writes, so nothing lands beside the
committed chapters unless --in-place.  Exits non-zero, naming the chapters, if any chapter raised (a failed claim
raises).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def toc_chapters() -> list[Path]:
    """The chapter notebooks listed in _toc.yml, in book order (a notebook not in the book is not run)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[Path] = []

    def walk(entries: list) -> None:
        for e in entries or []:
            f = e.get("file")
            if f and f.startswith("chapters/"):
                files.append(ROOT / (f if f.endswith(".ipynb") else f + ".ipynb"))
            walk(e.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def chapters(selected: list[str]) -> list[Path]:
    paths = [Path(s).resolve() for s in selected] if selected else toc_chapters()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"no such chapter: {', '.join(map(str, missing))}")
    return paths


def strip_execution_metadata(nb: dict) -> dict:
    """`nb` without what changes from one run to the next: papermill's and nbclient's timestamps, durations, paths.

    Drops the notebook's and every cell's ``papermill`` metadata, every cell's ``execution`` metadata (nbclient's
    timing) and the empty ``tags`` lists papermill adds; outputs and everything else are kept as they are.
    """
    nb = dict(nb)
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k != "papermill"}
    cells = []
    for cell in nb.get("cells", []):
        md = {k: v for k, v in cell.get("metadata", {}).items() if k not in ("papermill", "execution")}
        if md.get("tags") == []:
            del md["tags"]
        cells.append({**cell, "metadata": md})
    nb["cells"] = cells
    return nb


VOLATILE = "volatile-output"  # a cell tag: its output is a wall time or the like, shown in the built book only


def without_volatile_outputs(nb: dict) -> dict:
    """`nb` with the outputs of cells tagged ``volatile-output`` dropped: what the committed chapter stores.

    A cell that prints a wall time differs at every run; the book built by ``make book`` (executed copies) shows it,
    the committed chapter does not, so that ``make refresh`` twice on one machine leaves the tree unchanged.
    """
    cells = []
    for cell in nb.get("cells", []):
        if VOLATILE in cell.get("metadata", {}).get("tags", []) and cell.get("cell_type") == "code":
            cell = {**cell, "outputs": []}
        cells.append(cell)
    return {**nb, "cells": cells}


def write_committed(target: Path, chapter: Path) -> None:
    """Copy an executed chapter over the committed one, without its volatile outputs."""
    import nbformat

    nb = without_volatile_outputs(json.loads(target.read_text(encoding="utf-8")))
    chapter.write_text(nbformat.writes(nbformat.from_dict(nb)), encoding="utf-8")


def write_stripped(path: Path) -> None:
    """Rewrite a notebook file without its execution metadata, in nbformat's own layout (as papermill writes)."""
    import nbformat

    nb = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(nbformat.writes(nbformat.from_dict(strip_execution_metadata(nb))), encoding="utf-8")


def quiet() -> None:
    """Silence papermill's "Unable to parse line" warnings (trailing comments in parameter cells) and progress bars."""
    logging.getLogger("papermill").setLevel(logging.ERROR)
    os.environ["TQDM_DISABLE"] = "1"  # the kernels inherit it: no progress bar (wall-clock output) in any notebook


def parse_value(v: str):
    try:
        return json.loads(v)
    except json.JSONDecodeError:
        return v


def name_of(nb: Path) -> str:
    """How the logs name a notebook: its path in the repository (or its own path outside it)."""
    return str(nb.relative_to(ROOT)) if nb.is_relative_to(ROOT) else str(nb)


def run_one(nb: Path, out: Path, params: dict, timeout: int = 600) -> tuple[str, float, str | None]:
    """Execute `nb` into `out` (which may be `nb`) with papermill; (name, seconds, error text or None)."""
    import papermill as pm

    quiet()
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb),
            str(out),
            parameters=params,
            kernel_name="python3",
            cwd=str(out.parent),
            progress_bar=False,
            execution_timeout=timeout,
        )
        err = None
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell's traceback
        err = f"{type(exc).__name__}: {str(exc)[-3000:]}"
    if out.exists():
        write_stripped(out)
    return name_of(nb), time.perf_counter() - start, err


def target_for(nb: Path, out_dir: Path) -> Path:
    """Where a chapter's executed copy goes: its path under chapters/ kept below `out_dir`."""
    chapters = ROOT / "chapters"
    return out_dir / (nb.relative_to(chapters) if nb.is_relative_to(chapters) else nb.name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="chapters to run (default: every chapter)")
    ap.add_argument("--in-place", action="store_true", help="write outputs into the chapters themselves")
    ap.add_argument("--out", default="_build/papermill", help="folder for executed copies (ignored with --in-place)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--list", action="store_true", help="print the chapters of the book and exit")
    ap.add_argument("--strip", action="store_true", help="only drop execution metadata from the notebooks (no run)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="a parameter")
    args = ap.parse_args()
    params = {k: parse_value(v) for k, v in args.p}
    nbs = chapters(args.notebooks)
    if args.list:
        print(" ".join(str(p.relative_to(ROOT)) for p in nbs))
        return 0
    if not nbs:
        print("no chapters found")
        return 0
    if args.strip:
        for nb in nbs:
            write_stripped(nb)
        print(f"execution metadata dropped from {len(nbs)} notebook(s)")
        return 0
    quiet()
    out_dir = ROOT / args.out
    jobs = []
    for nb in nbs:
        # in place: execute into _build/refresh first and copy over the chapter only if it ran through, so that a
        # failed run never leaves a half-executed notebook (with its error) in the committed chapter
        target = target_for(nb, ROOT / "_build" / "refresh" if args.in_place else out_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((nb, target))
    print(f"executing {len(jobs)} chapter(s), {args.jobs} at a time, parameters {params or 'default'}", flush=True)
    timings, failures = {}, []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futs = {pool.submit(run_one, nb, target, params): (nb, target) for nb, target in jobs}
        for fut in as_completed(futs):
            name, secs, err = fut.result()
            nb, target = futs[fut]
            timings[name] = round(secs, 1)
            print(f"  {'FAILED' if err else 'ok    '} {secs:6.1f} s  {name}", flush=True)
            if err:
                where = f" (the failed run is in {name_of(target)}; the chapter is unchanged)" if args.in_place else ""
                failures.append((name, err + where))
            elif args.in_place:
                write_committed(target, nb)
    (ROOT / "_build").mkdir(exist_ok=True)
    key = "default" if not params else "other-parameters"
    tfile = ROOT / "_build" / "timings.json"
    data = json.loads(tfile.read_text()) if tfile.exists() else {}
    data[key] = {"parameters": params, "seconds": dict(sorted(timings.items()))}
    tfile.write_text(json.dumps(data, indent=1))
    for name, err in failures:
        print(f"\n=== {name} failed ===\n{err}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} chapter(s) failed: {', '.join(n for n, _ in failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
