"""Compare every output of two executions of the chapters (same seed): `python tests/compare_runs.py DIR_A DIR_B`.

Used by `make determinism`.  Unlike nbval, no roundoff is masked and the cells tagged ``nbval-ignore-output`` (whose
numbers differ across CPU models) are compared too: text, tables, claim records, glued values and figures must be
identical, byte for byte.  Ignored: execution metadata (timestamps, durations), memory addresses in reprs, how a
stream was split into chunks, and the cells that say they print wall-clock time (a ``# NBVAL_IGNORE_OUTPUT`` comment:
timings and progress bars).  Exits 1 and lists the differing cells if any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ADDRESS = re.compile(r"at 0x[0-9a-f]+")
# a tqdm bar's rate and elapsed time are wall-clock, not results
TIMING = re.compile(r"\d+(\.\d+)?(it/s|s/it)|\[\d+:\d+(<\d+:\d+)?")


def outputs(nb: Path) -> list[str]:
    """One canonical string per code cell: its outputs without metadata or execution counts."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    out = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        if "NBVAL_IGNORE_OUTPUT" in src:
            out.append("wall-clock output, not compared")
            continue
        kept: list[dict] = []
        for o in c.get("outputs", []):
            o = {k: v for k, v in o.items() if k not in ("metadata", "execution_count")}
            if o.get("output_type") == "stream":
                text = o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                if kept and kept[-1].get("output_type") == "stream" and kept[-1]["name"] == o["name"]:
                    kept[-1]["text"] += text  # the kernel may flush one print in several chunks
                    continue
                o = {**o, "text": text}
            kept.append(o)
        text = json.dumps(kept, sort_keys=True, ensure_ascii=False)
        out.append(TIMING.sub("T", ADDRESS.sub("at 0xADDRESS", text)))
    return out


def main(a: Path, b: Path) -> int:
    """Compare the notebooks of two run directories; print a summary; return the exit status."""
    na, nb = sorted(a.rglob("*.ipynb")), sorted(b.rglob("*.ipynb"))
    rel_a, rel_b = [p.relative_to(a) for p in na], [p.relative_to(b) for p in nb]
    if not na or rel_a != rel_b:
        print(f"the two runs hold different notebooks: {rel_a} vs {rel_b}")
        return 1
    bad, n_cells = [], 0
    for rel in rel_a:
        oa, ob = outputs(a / rel), outputs(b / rel)
        n_cells += len(oa)
        bad += [f"{rel}: cell {i}" for i, (x, y) in enumerate(zip(oa, ob)) if x != y]
        if len(oa) != len(ob):
            bad.append(f"{rel}: {len(oa)} vs {len(ob)} code cells")
    print(f"{len(rel_a)} notebooks, {n_cells} code cells: {'identical' if not bad else f'{len(bad)} differ'}")
    for line in bad:
        print("  differs:", line)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
