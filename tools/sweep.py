"""Robustness sweeps: chapters x seeds (x a parameter grid) through papermill, as Dask tasks.

    python tools/sweep.py --seeds 20                                  # a LocalCluster on this machine
    python tools/sweep.py --seeds 20 --scheduler tcp://10.0.0.5:8786  # the same sweep on any Dask cluster
    python tools/sweep.py --chapters chapters/part1-pwl/02-exact-erm.ipynb --seeds 5 --grid width=4,8

Each task executes one chapter with one seed on a Dask worker (in a temporary folder, from the notebook's text
shipped with the task) and returns the claim and finding records it emitted.  The client writes one result file
per run as it completes (``<out>/results/<run>.json``, atomically), so a sweep is resumable: runs whose result
file exists and passed are not redone.  A failed run is recorded with its seed and its error, never dropped.
When every run is in, the records are written to the robustness file (``book/robustness.jsonl`` by default),
one line per (chapter, seed, claim), with the command, date and machine of the sweep.

Workers need only the project's environment (relulab, papermill and a ``python3`` Jupyter kernel): the chapter
travels with the task.  On a cluster, start workers from the project's venv (e.g. ``dask-jobqueue``'s
``SLURMCluster(python=".venv/bin/python", ...)``, or ``dask worker tcp://...`` in that venv).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLAIM_MIME = "application/vnd.relulab.claim+json"
FINDING_MIME = "application/vnd.relulab.finding+json"


# ---------------------------------------------------------------- one run (executed on a worker)

def run_chapter(name: str, text: str, seed: int, params: dict[str, Any], timeout: int) -> dict[str, Any]:
    """Execute one chapter (its notebook text) with `seed` and `params`; return its records and its outcome."""
    import logging

    import papermill as pm

    # papermill warns about parameter lines with trailing comments ("Unable to parse line"): noise in a sweep's log
    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
        src, out = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        src.write_text(text, encoding="utf-8")
        try:
            pm.execute_notebook(
                str(src), str(out), parameters={**params, "seed": seed}, kernel_name="python3", cwd=tmp,
                progress_bar=False, log_output=False, execution_timeout=timeout,
            )
            error = None
        except Exception as exc:  # a failed claim raises in the kernel: papermill re-raises it here
            error = f"{type(exc).__name__}: {str(exc)[-2000:]}"
        executed = out.read_text(encoding="utf-8") if out.exists() else None
    claims, findings = _records(executed)
    return {
        "chapter": name, "seed": seed, "params": params, "ok": error is None, "error": error,
        "seconds": round(time.perf_counter() - start, 1), "worker": platform.node(),
        "claims": claims, "findings": findings,
    }


def _records(executed: str | None) -> tuple[list[dict], list[dict]]:
    if executed is None:
        return [], []
    claims, findings = [], []
    for cell in json.loads(executed).get("cells", []):
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            for mime, into in ((CLAIM_MIME, claims), (FINDING_MIME, findings)):
                if mime in data:
                    rec = data[mime]
                    into.append(json.loads(rec) if isinstance(rec, str) else rec)
    return claims, findings


# ---------------------------------------------------------------- the sweep (client side)

def run_key(chapter: str, seed: int, params: dict[str, Any]) -> str:
    """A stable file name for one run: chapter, seed and a short hash of the other parameters."""
    tag = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8] if params else "default"
    return f"{Path(chapter).stem}__seed{seed}__{tag}"


def plan(chapters: list[str], seeds: list[int], grid: dict[str, list[Any]]) -> list[tuple[str, int, dict]]:
    """Every (chapter, seed, parameters) of the sweep, in a stable order: seed by seed, so that a sweep stopped
    part-way has covered every chapter on its first seeds rather than a few chapters on all of them."""
    names = sorted(grid)
    combos = [dict(zip(names, vals)) for vals in itertools.product(*(grid[n] for n in names))] or [{}]
    return [(c, s, p) for s in seeds for c in chapters for p in combos]


def load_done(out: Path, runs: list[tuple[str, int, dict]]) -> dict[str, dict]:
    """The results already on disk that passed (failed runs are redone)."""
    done = {}
    for chapter, seed, params in runs:
        f = out / "results" / f"{run_key(chapter, seed, params)}.json"
        if f.exists():
            r = json.loads(f.read_text(encoding="utf-8"))
            if r.get("ok"):
                done[run_key(chapter, seed, params)] = r
    return done


def save(out: Path, result: dict[str, Any]) -> None:
    """Write one run's result atomically (a sweep killed mid-write leaves no half file)."""
    d = out / "results"
    d.mkdir(parents=True, exist_ok=True)
    key = run_key(result["chapter"], result["seed"], result["params"])
    tmp = d / f".{key}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, d / f"{key}.json")


def sweep(client, runs: list[tuple[str, int, dict]], out: Path, *, timeout: int = 1200, retries: int = 2,
          progress: bool = True) -> dict[str, dict]:
    """Run every planned run not yet done on `client`; return every result, keyed by run."""
    from distributed import as_completed
    from tqdm import tqdm

    results = load_done(out, runs)
    todo = [r for r in runs if run_key(*r) not in results]
    if len(results):
        print(f"{len(results)} run(s) already done, {len(todo)} to go", flush=True)
    futures, submitted = {}, []
    for chapter, seed, params in todo:
        text = (ROOT / chapter).read_text(encoding="utf-8")
        fut = client.submit(run_chapter, chapter, text, seed, params, timeout, key=f"run-{run_key(chapter, seed, params)}",
                            retries=retries, pure=False)
        futures[fut.key] = (chapter, seed, params)
        submitted.append(fut)
    bar = tqdm(total=len(todo), disable=not progress, desc="sweep", unit="run", file=sys.stdout)
    for fut in as_completed(submitted):
        chapter, seed, params = futures[fut.key]
        try:
            result = fut.result()
        except Exception as exc:  # the task itself died (e.g. its worker was lost more than `retries` times)
            result = {"chapter": chapter, "seed": seed, "params": params, "ok": False, "claims": [], "findings": [],
                      "error": f"task lost: {type(exc).__name__}: {exc}", "seconds": None, "worker": None}
        save(out, result)
        results[run_key(chapter, seed, params)] = result
        if not result["ok"]:
            bar.write(f"FAILED {chapter} seed={seed} {params or ''}: {result['error'].splitlines()[-1][:300]}")
        bar.update(1)
    bar.close()
    return results


def robustness_lines(results: dict[str, dict], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per (chapter, seed, claim or finding), plus one per failed run, with the sweep's metadata."""
    lines = []
    for key in sorted(results):
        r = results[key]
        base = {"chapter": r["chapter"], "seed": r["seed"], "params": r["params"], **meta}
        for rec in r["claims"]:
            lines.append({**base, "kind": "claim", "id": rec["id"], "passed": rec["passed"],
                          "measured": rec["measured"], "reference": rec["reference"], "tolerance": rec["tolerance"],
                          "relation": rec["relation"], "control": rec["control_measured"],
                          "control_margin": rec["control_margin"]})
        for rec in r["findings"]:
            lines.append({**base, "kind": "finding", "id": rec["id"], "passed": rec["passed"],
                          "measured": rec["measured"], "reference": rec["reference"], "tolerance": rec["tolerance"],
                          "relation": rec["relation"], "control": None, "control_margin": None})
        if not r["ok"]:
            lines.append({**base, "kind": "run", "id": None, "passed": False, "error": r["error"]})
    return lines


def machine() -> str:
    """This machine in a few words (the client's; workers' names are in the per-run results)."""
    return f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores, {platform.python_version()})"


def commit() -> str:
    """The commit the sweep ran from (its records describe the chapters as they were there)."""
    import subprocess

    r = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def _rel(chapter: str) -> str:
    p = Path(chapter).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def toc_chapters() -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from run_chapters import toc_chapters as toc

    return [str(p.relative_to(ROOT)) for p in toc()]


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    grid = {}
    for item in items:
        name, _, values = item.partition("=")
        if not name or not values:
            raise SystemExit(f"--grid wants name=v1,v2,..., got {item!r}")
        grid[name] = [_value(v) for v in values.split(",")]
    return grid


def _value(v: str) -> Any:
    try:
        return json.loads(v)
    except json.JSONDecodeError:
        return v


def collect(runs: list[tuple[str, int, dict]], out: Path, target: Path, meta: dict[str, Any]) -> int:
    """Write the robustness file from the finished runs on disk (passed or failed), saying how many are missing."""
    results = {}
    for run in runs:
        f = out / "results" / f"{run_key(*run)}.json"
        if f.exists():
            results[run_key(*run)] = json.loads(f.read_text(encoding="utf-8"))
    meta = {**meta, "runs_planned": len(runs), "runs_finished": len(results)}
    lines = robustness_lines(results, meta)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines), encoding="utf-8")
    print(f"collected {len(results)} of {len(runs)} planned run(s) into {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chapters", nargs="*", default=None, help="chapter notebooks (default: every chapter of the book)")
    ap.add_argument("--seeds", type=int, default=20, help="number of seeds (default 20)")
    ap.add_argument("--first-seed", type=int, default=1000, help="first seed (default 1000: not a default seed)")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="a fixed parameter")
    ap.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2", help="a parameter to sweep too")
    ap.add_argument("--scheduler", default=None, help="a Dask scheduler address (default: a LocalCluster here)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="LocalCluster workers (default: cores)")
    ap.add_argument("--out", default="_build/sweep", help="folder for per-run results (resumable)")
    ap.add_argument("--results", default="book/robustness.jsonl", help="the robustness file to write")
    ap.add_argument("--timeout", type=int, default=1200, help="per-cell execution timeout in seconds")
    ap.add_argument("--collect", action="store_true",
                    help="run nothing: write the robustness file from the runs already finished (a sweep stopped part-way)")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        raise SystemExit("--seeds must be >= 1")

    chapters = [_rel(c) for c in args.chapters] if args.chapters else toc_chapters()
    params = {k: _value(v) for k, v in args.p}
    grid = parse_grid(args.grid)
    runs = [(c, s, {**params, **p}) for c, s, p in plan(chapters, list(range(args.first_seed, args.first_seed + args.seeds)), grid)]
    out = (ROOT / args.out).resolve()
    meta = {"command": "python tools/sweep.py " + shlex.join(argv if argv is not None else sys.argv[1:]),
            "date": dt.date.today().isoformat(), "machine": machine(), "commit": commit()}
    if args.collect:
        return collect(runs, out, ROOT / args.results, meta)

    from distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    print(f"sweep: {len(chapters)} chapter(s) x {args.seeds} seed(s) = {len(runs)} run(s) on {client.scheduler.address}",
          flush=True)
    try:
        results = sweep(client, runs, out, timeout=args.timeout)
    finally:
        client.close()
    results = {run_key(*r): results[run_key(*r)] for r in runs}  # exactly the planned runs, once each
    lines = robustness_lines(results, meta)
    target = ROOT / args.results
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines), encoding="utf-8")
    failed = [r for r in results.values() if not r["ok"]]
    claims = [line for line in lines if line["kind"] == "claim"]
    print(f"{len(results)} run(s), {len(failed)} failed; {sum(c['passed'] for c in claims)}/{len(claims)} claim records "
          f"passed; written to {target}")
    for r in failed:
        print(f"  FAILED {r['chapter']} seed={r['seed']} {r['params'] or ''}: {(r['error'] or '').splitlines()[-1][:300]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
