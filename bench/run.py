"""Print each fast kernel's cost against its naive reference, as a ratio (not a timed test), in one run.

    python bench/run.py          (or: make bench)

Runs the foundation's NPK benchmark, then every bench/bench_*.py module's main(), then prints the time of every
chapter from the last `make book` / `make test` run (_build/timings.json).  Everything printed is also written to
bench/latest.txt (with the date and the CPU), which the reproducibility page of the book shows.
"""

from __future__ import annotations

import sys

import torch

from relulab import paths
from relulab.nets import mlp

from timing import best_time  # bench/timing.py (bench/ is on sys.path when a bench runs)




def bench_npk_vs_ntk() -> None:
    torch.manual_seed(0)
    n, d_in, width, depth = 200, 64, 128, 4
    net = mlp([d_in] + [width] * (depth - 1) + [1], bias=False, seed=0)
    X = torch.randn(n, d_in)
    t_npk = best_time(lambda: paths.npk(net, X))
    t_ntk = best_time(lambda: paths.ntk(net, X), repeat=2)
    print(f"NPK Gram (gate overlaps) vs empirical NTK Gram (autograd), N={n}, width {width}, depth {depth}: "
          f"{t_npk * 1e3:.1f} ms vs {t_ntk * 1e3:.0f} ms -> NTK/NPK = {t_ntk / t_npk:.0f}x")
    small = mlp([4, 6, 6, 6, 1], bias=False, seed=0)
    Xs = torch.randn(50, 4)
    t_fast = best_time(lambda: paths.npk(small, Xs))
    t_enum = best_time(lambda: paths.npf(small, Xs) @ paths.npf(small, Xs).T)
    print(f"NPK Gram vs explicit path enumeration ({paths.count_paths(small)} paths), N=50: "
          f"{t_fast * 1e6:.0f} us vs {t_enum * 1e6:.0f} us -> enumeration/NPK = {t_enum / t_fast:.1f}x")


def chapter_times() -> None:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "_build" / "timings.json"
    if not path.exists():
        print("chapter times: none recorded yet (run make book or make test)")
        return
    for run, data in json.loads(path.read_text()).items():
        secs = data["seconds"]
        print(f"chapter times, {run} run {data['parameters'] or ''}: total {sum(secs.values()):.0f} s, "
              f"max {max(secs.values()):.0f} s")
        for name, t in secs.items():
            print(f"  {t:6.1f} s  {name}")


class _Tee:
    """Write to the terminal and to a file at once (the bench's printout is also the book's record of it)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


def _cpu() -> str:
    """The CPU model, from /proc/cpuinfo where there is one."""
    import platform
    from pathlib import Path

    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    import contextlib
    import datetime
    import os
    from pathlib import Path

    out = Path(__file__).resolve().parent / "latest.txt"
    with open(out, "w", encoding="utf-8") as f, contextlib.redirect_stdout(_Tee(sys.stdout, f)):
        print(f"make bench, {datetime.date.today().isoformat()}, {_cpu()}, {os.cpu_count()} cores")
        _run_all()
    print(f"\n(written to {out.relative_to(out.parents[1])})")


def _run_all() -> None:
    import importlib.util
    from pathlib import Path

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, float64, 1 thread")
    print("\n== paths (foundation)")
    bench_npk_vs_ntk()
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"\n== {path.stem}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        torch.set_default_dtype(torch.float64)
        mod.main()
    print()
    chapter_times()


if __name__ == "__main__":
    main()
