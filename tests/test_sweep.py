"""The sweep runner (tools/sweep.py) on a tiny chapter: a worker killed mid-run, an external scheduler, resuming.

The drill: two seeds on a LocalCluster of two worker processes; one worker is killed (SIGKILL) while it runs a
chapter; the sweep must still complete with every record present and nothing counted twice.  Then the same
runner, unchanged, against a scheduler and a worker started as separate processes on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sweep  # noqa: E402

distributed = pytest.importorskip("distributed")

TINY = """import time
import relulab

relulab.setup(seed)
time.sleep(pause)
if fail:
    raise RuntimeError(f"asked to fail (seed {seed})")
relulab.verify("t.tiny", 1.0 + seed * 0.0, 1.0, 1e-9, 2.0, quantity="one", control_quantity="two")
"""


def tiny_chapter(folder: Path) -> Path:
    """A chapter of two cells: parameters, then one claim (after an optional pause, or a deliberate failure)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('seed = 0\nscale = "book"\npause = 0.0\nfail = False')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(TINY)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_worker_killed_mid_run_loses_nothing_and_counts_nothing_twice(tmp_path):
    chapter = str(tiny_chapter(tmp_path))
    runs = sweep.plan([chapter], [1, 2], {"pause": [6.0]})
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        box = {}
        t = threading.Thread(
            target=lambda: box.update(results=sweep.sweep(client, runs, tmp_path / "out", progress=False))
        )
        t.start()
        victim = None
        for _ in range(600):  # wait (up to 60 s) until a worker is running a chapter, then kill it
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                time.sleep(2.0)  # inside the chapter: its kernel has started
                victim = busy[0]
                pid = client.run(os.getpid, workers=[victim])[victim]
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)
        t.join(timeout=300)
        assert victim is not None, "no worker ever picked up a run"
        assert not t.is_alive(), "the sweep did not finish after a worker was killed"
    finally:
        client.close()
        cluster.close()
    results = box["results"]
    assert sorted(r["seed"] for r in results.values()) == [1, 2]
    assert all(r["ok"] for r in results.values()), [r["error"] for r in results.values()]
    files = sorted(p.name for p in (tmp_path / "out" / "results").glob("*.json"))
    assert len(files) == 2, files
    lines = sweep.robustness_lines(results, {"command": "test", "date": "today", "machine": "here"})
    assert [(line["seed"], line["id"]) for line in lines] == [(1, "t.tiny"), (2, "t.tiny")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_same_sweep_runs_on_an_external_scheduler_records_failures_and_resumes(tmp_path):
    chapter = str(tiny_chapter(tmp_path))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    procs = [
        subprocess.Popen(
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    time.sleep(3)
    procs.append(
        subprocess.Popen(
            [str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    )
    cmd = [
        sys.executable,
        str(ROOT / "tools" / "sweep.py"),
        "--chapters",
        chapter,
        "--seeds",
        "2",
        "--first-seed",
        "5",
        "--grid",
        "fail=false,true",
        "--scheduler",
        address,
        "--out",
        str(tmp_path / "out"),
        "--results",
        str(tmp_path / "robustness.jsonl"),
    ]
    try:
        first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=400)
        again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=400)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    # the failing runs are reported with their seed and error, and make the command fail
    assert first.returncode == 1, first.stdout + first.stderr
    assert "FAILED" in first.stdout and "asked to fail (seed 5)" in first.stdout, first.stdout
    lines = [json.loads(line) for line in (tmp_path / "robustness.jsonl").read_text().splitlines()]
    claims = sorted((line["seed"], line["id"]) for line in lines if line["kind"] == "claim")
    failures = sorted(line["seed"] for line in lines if line["kind"] == "run")
    assert claims == [(5, "t.tiny"), (6, "t.tiny")] and failures == [5, 6]
    assert all(line["command"].startswith("python tools/sweep.py") and line["machine"] for line in lines)
    # resuming: the two runs that passed are not redone, the two that failed are
    assert "2 run(s) already done, 2 to go" in again.stdout, again.stdout


def test_the_robustness_page_summarises_pass_rates_tolerance_used_and_control_misses():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_robustness as page

    base = {"kind": "claim", "chapter": "c.ipynb", "id": "a.b", "reference": 1.0, "tolerance": 0.5, "relation": "=="}
    lines = [
        {**base, "seed": 1, "measured": 1.25, "passed": True, "control_margin": 300.0},
        {**base, "seed": 2, "measured": 0.5, "passed": True, "control_margin": 150.0},
        {**base, "seed": 3, "measured": 2.0, "passed": False, "control_margin": 200.0},
        {"kind": "run", "chapter": "c.ipynb", "seed": 4, "id": None, "passed": False, "error": "boom"},
    ]
    s = page.summarise(lines)["a.b"]
    assert (len(s["seeds"]), s["passed"], s["n"]) == (3, 2, 3)
    assert s["used"] == [0.5, 1.0, 2.0] and min(s["control"]) == 150.0
    # a one-sided bound uses none of its tolerance when it holds with room; an exact 0-tolerance claim uses 0 or inf
    assert page.used_tolerance({**base, "relation": "<=", "measured": 0.0}) == 0.0
    assert page.used_tolerance({**base, "tolerance": 0.0, "measured": 1.0}) == 0.0
    assert page.used_tolerance({**base, "tolerance": 0.0, "measured": 1.1}) == float("inf")
    # a strict bound ("> 0", tolerance 0) holding with room uses none; on the boundary it fails
    strict = {**base, "relation": ">", "tolerance": 0.0, "reference": 0.0}
    assert page.used_tolerance({**strict, "measured": 0.5}) == 0.0
    assert page.used_tolerance({**strict, "measured": 0.0}) == float("inf")
    assert "<svg" in page._svg(page.summarise(lines), ["a.b"])


def test_the_robustness_page_names_every_sweep_its_records_come_from():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_robustness as page

    old = {"commit": "aaa", "command": "sweep 1", "date": "d1"}
    new = {"commit": "bbb", "command": "sweep 2", "date": "d2"}
    lines = [{**old, "chapter": "x.ipynb"}, {**old, "chapter": "y.ipynb"}, {**new, "chapter": "z.ipynb"}]
    found = page.sweeps(lines)
    assert [(m["commit"], sorted(c)) for m, c in found] == [("aaa", ["x.ipynb", "y.ipynb"]), ("bbb", ["z.ipynb"])]


def test_the_robustness_page_keeps_runs_at_other_parameter_values_apart_from_the_defaults():
    # a sweep that changes a parameter asks another question than the ledger's (the chapter as it stands)
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_robustness as page

    lines = [{"seed": 1}, {"seed": 2, "params": {}}, {"seed": 3, "params": {"stage_epochs": [3], "n": 2}}]
    groups = page.by_params(lines)
    assert [line["seed"] for line in groups[""]] == [1, 2]
    assert [line["seed"] for line in groups['n = 2, stage_epochs = [3]']] == [3]
