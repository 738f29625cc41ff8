"""The chapters at scale="paper": a smoke test with tiny sizes, and recorded full runs.

    python tools/paper_scale.py smoke [NB ...] [--jobs 2]      # make test-paper-smoke
    python tools/paper_scale.py record [NB ...] [--timeout S] [--jobs N] [--notes "..."]  # make paper: full runs
    python tools/paper_scale.py note NB --reason "..."         # record why a chapter has no paper-scale run
    python tools/paper_scale.py check [NB ...]                 # the conventions only (no run)

Every chapter puts the sizes of its `scale="paper"` branch in one cell tagged `paper-sizes`, the code cell right
after its `parameters` cell.  `smoke` copies each chapter, inserts after that cell a cell that shrinks every size it
sets (the chapter's entry in tests/paper_smoke.yml: `overrides`, Python assignments; `keep`, names whose paper value
is already small), and executes the copy with `scale="paper"`, so the paper branch keeps executing in CI.
`record` executes chapters with `scale="paper"` and their full sizes (`--jobs` at a time, default one: paper scale
uses every core) and writes one entry per chapter into book/paper_runs.json: parameters in force, wall and CPU time,
machine, torch threads, how many chapters ran side by side, commit, every claim and finding record and glued value,
or the exact reason the run did not complete.  Everything in an entry is measured by this tool except `notes`, the
human text given with `--notes`.  A new run of a chapter keeps a summary of the ones it replaces (`earlier`).  The
"Paper-scale results" page is generated from that file.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
# one definition of the code hash: the Paper-scale page compares a recorded run's hash with the chapter's own
from relulab_paper import code_hash  # noqa: E402
from run_chapters import name_of, run_one, strip_execution_metadata, toc_chapters  # noqa: E402

SMOKE_FILE = ROOT / "tests" / "paper_smoke.yml"
RESULTS = ROOT / "book" / "paper_runs.json"
SIZES_MIME = "application/vnd.relulab.paper-sizes+json"
MACHINE_MIME = "application/vnd.relulab.paper-machine+json"
CLAIM_MIME = "application/vnd.relulab.claim+json"
FINDING_MIME = "application/vnd.relulab.finding+json"
TAG = "paper-sizes"


class Convention(Exception):
    """A chapter does not follow the paper-sizes convention (the message says how)."""


def source(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def paper_sizes_cell(nb: dict) -> int:
    """Index of the cell tagged paper-sizes; Convention if it is missing, doubled, or not right after parameters."""
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    params = [i for i in code if "parameters" in tags(nb["cells"][i])]
    sizes = [i for i in code if TAG in tags(nb["cells"][i])]
    if len(params) != 1:
        raise Convention(f"needs exactly one cell tagged 'parameters', has {len(params)}")
    if not sizes:
        raise Convention("has no cell tagged 'paper-sizes' (the sizes of scale=\"paper\", right after 'parameters')")
    if len(sizes) > 1:
        raise Convention(f"has {len(sizes)} cells tagged 'paper-sizes', needs one")
    after = code[code.index(params[0]) + 1] if code.index(params[0]) + 1 < len(code) else None
    if sizes[0] != after:
        raise Convention("its 'paper-sizes' cell is not the code cell right after the 'parameters' cell")
    return sizes[0]


def assigned(src: str) -> list[str]:
    """The names a cell assigns (anywhere in it, in order, without repeats)."""
    names: list[str] = []

    def add(t):
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                add(e)
        elif isinstance(t, ast.Starred):
            add(t.value)

    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                add(t)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            add(node.target)
    return list(dict.fromkeys(names))


def comments(src: str) -> str:
    """The comments of a cell, joined: what a chapter says its paper branch needs (a GPU, a data set, ...)."""
    return " ".join(m.group(1).strip() for m in re.finditer(r"#\s?(.*)", src) if m.group(1).strip())


def _cell(src: str, tag: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": tag, "metadata": {"tags": [tag, "remove-cell"]},
            "outputs": [], "source": src}


def sizes_probe(names: list[str]) -> str:
    return (
        "# injected by tools/paper_scale.py: the parameters and sizes in force after the paper-sizes cell\n"
        "from IPython.display import display as _display\n"
        f"_display({{{SIZES_MIME!r}: {{_k: repr(globals()[_k])[:300] for _k in {names!r} if _k in globals()}}, "
        "'text/plain': 'paper-scale sizes recorded'}, raw=True)\n"
    )


MACHINE_PROBE = (
    "# injected by tools/paper_scale.py: the device the chapter ran on\n"
    "import sys as _sys\n"
    "from IPython.display import display as _display\n"
    "_dev = {'torch_threads': None, 'cuda': False, 'gpu': ''}\n"
    "if 'torch' in _sys.modules:\n"
    "    _t = _sys.modules['torch']\n"
    "    # the chapter put tensors on a GPU (a library call may initialise CUDA without using it)\n"
    "    _used = bool(_t.cuda.is_initialized() and _t.cuda.max_memory_allocated() > 0)\n"
    "    _dev = {'torch_threads': _t.get_num_threads(), 'cuda': _used,\n"
    "            'gpu': _t.cuda.get_device_name(0) if _used else ''}\n"
    f"_display({{{MACHINE_MIME!r}: _dev, 'text/plain': 'device recorded'}}, raw=True)\n"
)


def prepared(nb: dict, overrides: str | None) -> dict:
    """A copy of `nb` with the smoke overrides (if any) and the probes inserted after its paper-sizes cell."""
    at = paper_sizes_cell(nb)
    param_cell = next(c for c in nb["cells"] if "parameters" in tags(c))
    names = list(dict.fromkeys(assigned(source(param_cell)) + assigned(source(nb["cells"][at]))))
    extra = ([_cell(overrides, "paper-smoke-overrides")] if overrides else []) + [
        _cell(sizes_probe(names), "paper-scale-sizes")]
    cells = nb["cells"][: at + 1] + extra + nb["cells"][at + 1:] + [_cell(MACHINE_PROBE, "paper-scale-machine")]
    return {**nb, "cells": cells}


def smoke_entries() -> dict[str, dict]:
    data = yaml.safe_load(SMOKE_FILE.read_text(encoding="utf-8")) or {}
    return {k: (v or {}) for k, v in data.items()}


def smoke_overrides(nb: dict, chapter: str, entries: dict[str, dict]) -> str:
    """The overrides source for a chapter; Convention if the YAML leaves a size of its paper-sizes cell unshrunk."""
    sizes = assigned(source(nb["cells"][paper_sizes_cell(nb)]))
    entry = entries.get(chapter)
    if entry is None:
        raise Convention(f"has no entry in {SMOKE_FILE.relative_to(ROOT)} (tiny sizes for its paper branch)")
    src = entry.get("overrides", "") or ""
    keep = set(entry.get("keep", []) or [])
    loose = [n for n in sizes if n not in set(assigned(src)) | keep]
    if loose:
        raise Convention(f"its paper-sizes cell sets {', '.join(loose)}, which {SMOKE_FILE.relative_to(ROOT)} "
                         "neither shrinks (overrides) nor keeps (keep)")
    return src


def chapter_list(selected: list[str]) -> list[Path]:
    paths = [Path(s).resolve() for s in selected] if selected else toc_chapters()
    missing = [p for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"no such chapter: {', '.join(map(str, missing))}")
    return paths


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(nb: dict, path: Path) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nbformat.from_dict(nb)), encoding="utf-8")


def where(nb_path: Path, base: Path) -> Path:
    chapters = ROOT / "chapters"
    return base / (nb_path.relative_to(chapters) if nb_path.is_relative_to(chapters) else nb_path.name)


# ---------------------------------------------------------------------------------------------------------- smoke

def smoke(paths: list[Path], jobs: int, out_dir: Path, entries: dict[str, dict] | None = None) -> int:
    entries = smoke_entries() if entries is None else entries
    problems: list[tuple[str, str]] = []
    jobs_list = []
    for p in paths:
        name = name_of(p)
        try:
            nb = load(p)
            src = prepared(nb, smoke_overrides(nb, name, entries))
        except Convention as exc:
            problems.append((name, f"not run: the chapter {exc}"))
            continue
        staged = where(p, out_dir / "in")
        write(src, staged)
        jobs_list.append((name, staged, where(p, out_dir / "out")))
    print(f"paper-scale smoke test: {len(jobs_list)} chapter(s) with scale=\"paper\" and tiny sizes, {jobs} at a time",
          flush=True)
    n_ok = 0
    # Chapters at scale="paper" take every core; `jobs` of them at once would oversubscribe the machine (the
    # smoke test ran twice as long), so each kernel gets its share of the cores (relulab.setup reads it).
    os.environ.setdefault("RELULAB_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, jobs))))
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futs = {pool.submit(run_one, staged, out, {"scale": "paper"}): name for name, staged, out in jobs_list}
        for fut in as_completed(futs):
            _, secs, err = fut.result()
            name = futs[fut]
            print(f"  {'FAILED' if err else 'ok    '} {secs:6.1f} s  {name}", flush=True)
            if err:
                problems.append((name, err))
            else:
                n_ok += 1
    for name, why in problems:
        print(f"  {name}: {why}", file=sys.stderr)
    print(f"paper-scale smoke test: {n_ok} passed, {len(problems)} failed")
    return 1 if problems else 0


# --------------------------------------------------------------------------------------------------------- record

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        mem_gb = round(mem / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        mem_gb = None
    from importlib import metadata

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem_gb, "os": platform.platform(terse=True),
            "python": platform.python_version(), "torch": metadata.version("torch")}


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def outputs_of(nb: dict) -> dict:
    """The records, glued values, sizes and device found in an executed notebook."""
    found: dict = {"claims": [], "findings": [], "glued": {}, "parameters": {}, "device": {}}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for key, mime in (("claims", CLAIM_MIME), ("findings", FINDING_MIME)):
                if mime in data:
                    rec = data[mime]
                    found[key].append(json.loads(rec) if isinstance(rec, str) else rec)
            if SIZES_MIME in data:
                found["parameters"] = data[SIZES_MIME]
            if MACHINE_MIME in data:
                found["device"] = data[MACHINE_MIME]
            glue = out.get("metadata", {}).get("scrapbook", {})
            prefix = glue.get("mime_prefix", "")
            # a glued Markdown object's text is its markdown (its plain text is only a repr)
            plain = data.get(prefix + "text/markdown", data.get(prefix + "text/plain", data.get("text/plain")))
            if glue.get("name") and plain is not None:
                found["glued"][glue["name"]] = plain if isinstance(plain, str) else "".join(plain)
    return found


def record_one(path: Path, timeout: int, out_dir: Path, side_by_side: int = 1, notes: str = "",
               threads: str | None = None) -> dict:
    """Execute one chapter at paper scale (its full sizes) in a subprocess; the record of the run or of its failure.

    `side_by_side` is how many chapters the runner executes at once (the pool's size); the machine's load average
    at the start and the end says what else ran.  `threads` sets RELULAB_THREADS for the chapter; `notes` is human
    text."""
    name = name_of(path)
    nb = load(path)
    threads = threads or os.environ.get("RELULAB_THREADS")
    base = {"chapter": name, "date": dt.date.today().isoformat(), "commit": git("rev-parse", "--short=12", "HEAD"),
            "chapter_modified": bool(git("status", "--porcelain", "--", str(path))), "code": code_hash(nb),
            "machine": machine(), "timeout_s": timeout, "threads": threads, "side_by_side": side_by_side,
            "load_start": round(os.getloadavg()[0], 2)} | ({"notes": notes} if notes else {})
    try:
        src = prepared(nb, None)
    except Convention as exc:
        return {**base, "status": "not-run", "reason": f"the chapter {exc}"}
    staged, out = where(path, out_dir / "in"), where(path, out_dir / "out")
    write(src, staged)
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "papermill", str(staged), str(out), "-p", "scale", "paper", "-k", "python3",
           "--cwd", str(out.parent), "--no-progress-bar", "--log-level", "ERROR"]
    out.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "TQDM_DISABLE": "1"} | ({"RELULAB_THREADS": threads} if threads else {})
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        log, _ = proc.communicate(timeout=timeout)
        status = "ok" if proc.returncode == 0 else "failed"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # papermill and its kernel
        log, _ = proc.communicate()
        status = "timeout"
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rec = {**base, "status": status, "seconds_wall": round(wall, 1), "seconds_cpu": round(cpu, 1),
           "load_end": round(os.getloadavg()[0], 2)}
    if out.exists():
        executed = strip_execution_metadata(load(out))
        write(executed, out)
        rec.update(outputs_of(executed))
    if status == "timeout":
        rec["reason"] = (f"did not finish within {timeout} s on this machine ({rec['machine']['cpu']}, "
                         f"{rec['machine']['cores']} cores)")
    elif status == "failed":
        lines = [line for line in (log or "").splitlines() if line.strip()]
        err = next((line for line in reversed(lines) if re.search(r"Error|Exception|Failed", line)), "")
        rec["reason"] = f"the run raised: {err.strip()[:500] or 'see the log'}"
    return rec


# what a record keeps of an earlier attempt at the same chapter
EARLIER_KEYS = ("date", "commit", "code", "status", "reason", "seconds_wall", "timeout_s", "threads", "side_by_side",
                "load_start", "load_end", "notes", "parameters")


def save(rec: dict, results: Path) -> None:
    """Write `rec` as its chapter's entry; the entry it replaces is kept, summarised, in `earlier`."""
    data = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    old = data.get(rec["chapter"])
    if old:
        summary = {k: old[k] for k in EARLIER_KEYS if k in old}
        summary["where"] = {"cpu": old.get("machine", {}).get("cpu"), "cores": old.get("machine", {}).get("cores"),
                            "gpu": old.get("device", {}).get("gpu", "")}
        claims = old.get("claims", [])
        if claims:  # an earlier run that completed keeps its outcome
            summary["claims"] = {c["id"]: bool(c.get("passed")) for c in claims}
        rec = {**rec, "earlier": old.get("earlier", []) + [summary]}
    data[rec["chapter"]] = rec
    results.write_text(json.dumps(dict(sorted(data.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def record(paths: list[Path], timeout: int, out_dir: Path, results: Path, jobs: int = 1, notes: str = "") -> int:
    bad = 0
    side = max(1, min(jobs, len(paths)))
    # chapters side by side share the cores (relulab.setup reads RELULAB_THREADS in the chapter's kernel)
    threads = os.environ.get("RELULAB_THREADS") or (str(max(1, (os.cpu_count() or 1) // side)) if side > 1 else None)
    print(f"  paper scale: {len(paths)} chapter(s), {side} at a time, up to {timeout} s each ...", flush=True)
    with ProcessPoolExecutor(max_workers=side) as pool:
        futs = {pool.submit(record_one, p, timeout, out_dir, side, notes, threads): p for p in paths}
        for fut in as_completed(futs):
            try:
                rec = fut.result()
            except Exception as exc:  # the runner itself broke: say so, and keep the other chapters' records
                rec = {"chapter": name_of(futs[fut]), "date": dt.date.today().isoformat(), "status": "failed",
                       "commit": git("rev-parse", "--short=12", "HEAD"),
                       "reason": f"the runner raised: {type(exc).__name__}: {exc}"[:500], "side_by_side": side}
            save(rec, results)  # in this process only: no two writers
            n = len(rec.get("claims", []))
            what = f"{rec.get('seconds_wall', 0):.0f} s wall, {rec.get('seconds_cpu', 0):.0f} s CPU, {n} claim records"
            print(f"  {rec['status']:8s} {rec['chapter']}: " + (what if rec["status"] == "ok" else rec["reason"]),
                  flush=True)
            bad += rec["status"] != "ok"
    print(f"paper scale: {len(paths) - bad} recorded runs, {bad} without a complete run; see {name_of(results)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["smoke", "record", "note", "check"])
    ap.add_argument("notebooks", nargs="*", help="chapters (default: every chapter of the book)")
    ap.add_argument("--jobs", type=int, default=None, help="chapters at a time (smoke: 2, record: 1)")
    ap.add_argument("--notes", default="", help="record: human text kept with the records (marked as such)")
    ap.add_argument("--timeout", type=int, default=900, help="record: seconds allowed per chapter")
    ap.add_argument("--reason", default="", help="note: why the chapter has no paper-scale run")
    ap.add_argument("--results", default=str(RESULTS.relative_to(ROOT)), help="record/note: the results file")
    # intermixed: options may come before or after the chapters (make paper puts --timeout first)
    args = ap.parse_intermixed_args(argv)
    paths = chapter_list(args.notebooks)
    results = ROOT / args.results
    if args.command == "smoke":
        return smoke(paths, args.jobs or 2, ROOT / "_build" / "paper-smoke")
    if args.command == "record":
        return record(paths, args.timeout, ROOT / "_build" / "paper", results, args.jobs or 1, args.notes)
    if args.command == "note":
        if not args.reason or len(paths) != 1 or not args.notebooks:
            sys.exit("note needs one chapter and --reason")
        nb = load(paths[0])
        save({"chapter": name_of(paths[0]), "status": "not-run", "reason": args.reason, "reason_by_hand": True,
              "code": code_hash(nb),
              "date": dt.date.today().isoformat(), "commit": git("rev-parse", "--short=12", "HEAD")}, results)
        return 0
    entries, bad = smoke_entries(), 0
    for p in paths:
        try:
            smoke_overrides(load(p), name_of(p), entries)
            print(f"  ok     {name_of(p)}")
        except Convention as exc:
            bad += 1
            print(f"  FAILED {name_of(p)}: the chapter {exc}")
    print(f"paper-sizes convention: {len(paths) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
