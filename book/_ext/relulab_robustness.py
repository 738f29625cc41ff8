"""Sphinx extension: the robustness ledger, generated at build time from the committed sweep (book/robustness.jsonl).

``{relulab-robustness}`` renders, for every claim of ``book/claims.yml``: the seeds the last sweep ran it on, its
pass rate, how much of its tolerance it used (worst seed and median; 1 = at the limit) and how far its negative
control missed (worst seed and median, in tolerances), and a strip plot of the tolerance used per seed, inline SVG.
The sweep's command, date and machine head the page.  ``tools/sweep.py`` writes the file.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from statistics import median

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from relulab_records import row as records_row
from relulab_records import table as records_table

RESULTS = Path("book") / "robustness.jsonl"


def used_tolerance(line: dict) -> float:
    """The fraction of the tolerance a measurement used (<= 1 passes; 0 tolerance: 0 if exact, inf if not)."""
    m, r, tol = (float(line[k]) for k in ("measured", "reference", "tolerance"))
    rel = line["relation"]
    excess = {"==": abs(m - r), "<=": m - r, ">=": r - m, "<": m - r, ">": r - m}[rel]
    if tol > 0:
        return max(excess, 0.0) / tol
    inside = excess < 0 if rel in ("<", ">") else excess <= 0  # a strict relation refuses the boundary
    return 0.0 if inside else math.inf


def summarise(lines: list[dict]) -> dict[str, dict]:
    """Per claim id: seeds, passes, tolerance used (list) and control misses (list)."""
    out: dict[str, dict] = {}
    for line in lines:
        if line.get("kind") != "claim":
            continue
        s = out.setdefault(line["id"], {"chapter": line["chapter"], "seeds": set(), "passed": 0, "n": 0,
                                        "used": [], "control": []})
        s["seeds"].add(line["seed"])
        s["n"] += 1
        s["passed"] += bool(line["passed"])
        s["used"].append(used_tolerance(line))
        s["control"].append(float(line["control_margin"]))
    return out


def by_params(lines: list[dict]) -> dict[str, list[dict]]:
    """The records grouped by the parameters their runs changed ("" for the chapters' defaults)."""
    out: dict[str, list[dict]] = {}
    for line in lines:
        params = line.get("params") or {}
        key = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(params.items()))
        out.setdefault(key, []).append(line)
    return out


def _fmt(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.2g}"


def _svg(summary: dict[str, dict], ids: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "relulab"  # stable ids: the page does not change between builds
    ids = [i for i in ids if i in summary]
    fig, ax = plt.subplots(figsize=(7.5, 0.16 * len(ids) + 1.2))
    for y, cid in enumerate(ids):
        used = [max(u, 1e-17) for u in summary[cid]["used"] if math.isfinite(u)]
        ax.scatter(used, [y] * len(used), s=6, alpha=0.6, color="tab:blue")
    ax.axvline(1.0, color="tab:red", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(range(len(ids)), ids, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("fraction of the tolerance used, one dot per seed (a claim fails right of the red line)")
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def sweeps(lines: list[dict]) -> list[tuple[dict, set[str]]]:
    """The sweeps the records come from (one per commit and command), each with the chapters it ran."""
    found: dict[tuple, tuple[dict, set[str]]] = {}
    for line in lines:
        key = (line.get("commit"), line.get("command"), line.get("date"))
        found.setdefault(key, (line, set()))[1].add(line["chapter"])
    return list(found.values())


class RobustnessDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        claims = yaml.safe_load((root / "book" / "claims.yml").read_text(encoding="utf-8"))
        path = root / RESULTS
        env.note_dependency(str(path))
        if not path.exists():
            return [nodes.paragraph(text="No sweep has been committed yet (run `make sweep`).")]
        every = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        groups = by_params(every)
        lines = groups.pop("", [])  # the ledger's question: the chapters as they stand, other seeds
        summary = summarise(lines)
        runs = {(line["chapter"], line["seed"]) for line in lines}
        failed_runs = [line for line in lines if line.get("kind") == "run"]
        per_chapter: dict[str, int] = {}
        for chapter, _ in runs:
            per_chapter[chapter] = per_chapter.get(chapter, 0) + 1
        seeds = f"{min(per_chapter.values())} to {max(per_chapter.values())}" if per_chapter else "0"
        head = [nodes.paragraph(
            text=f"{len(runs)} chapter runs ({len(per_chapter)} chapters, {seeds} seeds each), "
            f"{len(failed_runs)} failed, from {len(sweeps(lines))} sweep(s):"
        )]
        items = nodes.bullet_list()
        for meta, chapters in sweeps(every):
            partial = ""
            if "runs_planned" in meta and meta["runs_finished"] < meta["runs_planned"]:
                partial = (f" Stopped part-way: {meta['runs_finished']} of its {meta['runs_planned']} planned runs "
                           "finished (it resumes where it stopped).")
            items += nodes.list_item("", nodes.paragraph(
                text=f"{meta.get('date', '?')} on {meta.get('machine', '?')}, commit {meta.get('commit', '?')}, "
                f"command `{meta.get('command', '?')}`: {len(chapters)} chapter(s).{partial}"))
        head.append(items)
        headers = ["Claim", "Seeds", "Passed", "Tolerance used: worst / median", "Control miss (× tol): worst / median"]
        table, tbody = records_table(headers, [30, 8, 10, 26, 26], ["relulab-robustness"])
        for cid in claims:
            s = summary.get(cid)
            if s is None:
                tbody += records_row([nodes.literal(text=cid), nodes.Text("—"), nodes.Text("not in the sweep"),
                               nodes.Text("—"), nodes.Text("—")])
                continue
            cells = [nodes.literal(text=cid), nodes.Text(str(len(s["seeds"]))), nodes.Text(f"{s['passed']}/{s['n']}"),
                     nodes.Text(f"{_fmt(max(s['used']))} / {_fmt(median(s['used']))}"),
                     nodes.Text(f"{_fmt(min(s['control']))} / {_fmt(median(s['control']))}")]
            tbody += records_row(cells)
        out: list[nodes.Node] = head
        for line in failed_runs:
            out.append(nodes.paragraph(text=f"FAILED run: {line['chapter']} seed {line['seed']}: "
                                       f"{(line.get('error') or '').splitlines()[-1][:300]}"))
        out += [table, nodes.raw("", _svg(summary, list(claims)), format="html")]
        if groups:
            out += self._varied(groups, list(claims))
        return out

    def _varied(self, groups: dict[str, list[dict]], ids: list[str]) -> list[nodes.Node]:
        # sweeps that changed a parameter: how far a claim's check holds beyond the chapter's default values
        head = nodes.paragraph(text="Sweeps at other parameter values (not the chapters' defaults; not in the "
                               "table above):")
        headers = ["Claim", "Parameters", "Seeds", "Passed", "Tolerance used: worst / median"]
        table, tbody = records_table(headers, [30, 26, 8, 10, 26], ["relulab-robustness"])
        failed = []
        for params, lines in groups.items():
            summary = summarise(lines)
            for cid in [i for i in ids if i in summary]:
                s = summary[cid]
                tbody += records_row([nodes.literal(text=cid), nodes.literal(text=params),
                                      nodes.Text(str(len(s["seeds"]))), nodes.Text(f"{s['passed']}/{s['n']}"),
                                      nodes.Text(f"{_fmt(max(s['used']))} / {_fmt(median(s['used']))}")])
            failed += [(params, line) for line in lines if line.get("kind") == "run"]
        runs = [nodes.paragraph(text=f"FAILED run ({params}): {line['chapter']} seed {line['seed']}: "
                                f"{(line.get('error') or '').splitlines()[-1][:300]}") for params, line in failed]
        return [head, table, *runs]


def setup(app):
    app.add_directive("relulab-robustness", RobustnessDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
