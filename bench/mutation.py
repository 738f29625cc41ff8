"""Mutation score of relulab's core modules with mutmut 3 (run by `make mutation`; slow, not part of CI).

Works on a scratch copy (_build/mutation: relulab/ at the top, tests/, bench/authors.py, bench/mutmut.cfg as setup.cfg) so that nothing
in the repository is touched and mutmut's `mutants/` tree stays out of it.  Steps: generate every mutant of the modules
listed in bench/mutmut.cfg, optionally draw a seeded random sample of them per module (--sample N; 0 = all), run
`mutmut run` on those with the fast tests (hypothesis examples cut to HYPOTHESIS_EXAMPLES, slow brute-force tests
deselected in the cfg), and print the score per module as a Markdown table.

Usage (with the Python of a venv that has mutmut==3.8.1 and sees relulab's dependencies; see the Makefile):
    python bench/mutation.py --sample 40 --seed 0 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1, 3}           # a test failed (3: pytest internal error, counted as a kill by mutmut)
TIMEOUT = {-24, 24, 152, 255, 36}  # the CPU-time limit hit: the mutant hangs or explodes, i.e. it is detected
SURVIVED = {0}
NO_TESTS = {33, 5}        # no selected test reaches the mutated function: counted as NOT killed


def prepare(work: Path) -> None:
    """A fresh scratch copy of the package, the tests and the mutmut settings."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis")
    shutil.copytree(ROOT / "lib" / "relulab", work / "relulab", ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    shutil.copy(ROOT / "bench" / "mutmut.cfg", work / "setup.cfg")
    (work / "bench").mkdir()
    shutil.copy(ROOT / "bench" / "authors.py", work / "bench")  # tests/test_lifting.py compares with the authors' code


def generate(work: Path, jobs: int) -> None:
    """Write every mutant (mutmut's own generation step, without its test-statistics pass)."""
    code = (
        "from mutmut.__main__ import copy_src_dir, copy_also_copy_files, setup_source_paths, create_mutants\n"
        "from mutmut.mutation.trampoline import set_mutant_under_test\n"
        "import os; os.makedirs('mutants', exist_ok=True)\n"
        "set_mutant_under_test('mutant_generation')\n"
        f"copy_src_dir(); copy_also_copy_files(); setup_source_paths(); print(create_mutants({jobs}))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=work, check=True)


def load(work: Path) -> dict[str, dict[str, int | None]]:
    """{module path: {mutant name: exit code or None}} from mutmut's .meta files."""
    out = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        out[str(meta.relative_to(work / "mutants"))[: -len(".meta")]] = json.loads(meta.read_text())["exit_code_by_key"]
    return out


def score_table(results: dict[str, dict[str, int | None]], chosen: set[str]) -> str:
    rows = ["| module | mutants (total) | tested | killed | timeout | survived | no tests | other | score |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    tot = Counter()
    weighted = 0.0  # per-module scores weighted by module size: the estimate for the whole population of mutants
    for path, codes in results.items():
        c = Counter()
        for name, code in codes.items():
            if name not in chosen:
                continue
            kind = ("killed" if code in KILLED else "timeout" if code in TIMEOUT else "survived" if code in SURVIVED
                    else "no tests" if code in NO_TESTS else "unchecked" if code is None else "other")
            c[kind] += 1
        tested = sum(v for k, v in c.items() if k != "unchecked")
        tot.update(c)
        tot["total"] += len(codes)
        sc = (c["killed"] + c["timeout"]) / tested if tested else float("nan")
        weighted += sc * len(codes) if tested else 0.0
        rows.append(f"| {path} | {len(codes)} | {tested} | {c['killed']} | {c['timeout']} | {c['survived']} | "
                    f"{c['no tests']} | {c['other']} | {sc:.1%} |")
    tested = sum(v for k, v in tot.items() if k not in ("unchecked", "total"))
    sc = (tot["killed"] + tot["timeout"]) / tested if tested else float("nan")
    rows.append(f"| **all** | {tot['total']} | {tested} | {tot['killed']} | {tot['timeout']} | {tot['survived']} | "
                f"{tot['no tests']} | {tot['other']} | **{sc:.1%}** |")
    rows.append(f"\nScore weighted by module size (estimate for all {tot['total']} mutants): "
                f"**{weighted / max(tot['total'], 1):.1%}**")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=0, help="mutants drawn per module (0 = every mutant)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "_build" / "mutation")
    ap.add_argument("--only", default="", help="only modules whose path contains this text (e.g. npk)")
    ap.add_argument("--report-only", action="store_true", help="print the table of the last run in --work")
    args = ap.parse_args()
    work = args.work.resolve()
    if not args.report_only:
        prepare(work)
        generate(work, args.jobs)
        results = load(work)
        names: list[str] = []
        for path, codes in results.items():
            if args.only not in path:
                continue
            keys = sorted(codes)
            names += keys if args.sample <= 0 else random.Random(f"{args.seed}:{path}").sample(keys, min(args.sample, len(keys)))
        (work / "chosen.txt").write_text("\n".join(names))
        env = dict(os.environ, HYPOTHESIS_EXAMPLES=os.environ.get("HYPOTHESIS_EXAMPLES", "5"), TQDM_DISABLE="1")
        mutmut = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs)]
        subprocess.run(mutmut + ([] if args.sample <= 0 else names), cwd=work, env=env, check=False)
    chosen = set((work / "chosen.txt").read_text().split())
    print(score_table({p: c for p, c in load(work).items() if args.only in p}, chosen))


if __name__ == "__main__":
    main()
