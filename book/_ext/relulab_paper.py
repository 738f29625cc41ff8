"""Sphinx extension: the Paper-scale results page, generated from book/paper_runs.json at build time.

``{relulab-paper-runs}`` lists every chapter of the book with its recorded ``scale="paper"`` run (parameters in
force, time, machine, every claim record; written by ``tools/paper_scale.py record``, i.e. ``make paper``) or the
exact reason it has none: the run failed or did not finish in time, the chapter has no ``paper-sizes`` cell, what the
chapter says its paper branch needs, or simply that no run was recorded yet.  Beside a run it shows the papers' own
numbers where ``book/paper_numbers.yml`` gives them.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive

from relulab_records import Record, chapter_code, fmt, inline_math, make_link, parts
from relulab_records import row as records_row
from relulab_records import table as records_table

CLASSES = ["relulab-paper", "relulab-wide", "colwidths-given"]

CLAIM_HEADERS = ["Claim", "Measured vs reference", "Tolerance", "Result"]


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return s if isinstance(s, str) else "".join(s)


def code_hash(nb: dict) -> str:
    """A short hash of a chapter's code cells: a paper-scale record (tools/paper_scale.py) says which version ran."""
    # the code lines, blank lines and cell boundaries ignored: splitting a cell does not make a run stale
    code = (ln.rstrip() for c in nb["cells"] if c["cell_type"] == "code" for ln in _src(c).splitlines())
    return hashlib.sha256("\n".join(ln for ln in code if ln).encode()).hexdigest()[:16]


def paper_cell_note(nb: dict) -> tuple[bool, str]:
    """(whether the chapter has a cell tagged paper-sizes, the comments of that cell)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "paper-sizes" in cell.get("metadata", {}).get("tags", []):
            return True, " ".join(m.group(1).strip() for m in re.finditer(r"#\s?(.*)", _src(cell)) if m.group(1).strip())
    return False, ""


def nb_title(nb: dict) -> str:
    """The chapter's title: the first level-1 heading of its first markdown cell (other pages may not be read yet)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            m = re.search(r"^#\s+(.+)$", _src(cell), re.M)
            if m:
                return m.group(1).strip()
    return ""


def where_ran(rec: dict) -> str:
    """The machine of a run, its torch threads, the chapters run beside it, and the GPU if the chapter used one."""
    m, dev = rec.get("machine", {}), rec.get("device", {})
    if not m:
        return "machine not recorded"
    out = f"on {m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    threads = dev.get("torch_threads") or rec.get("threads")
    out += f" ({threads} torch thread{'' if str(threads) == '1' else 's'})" if threads else ""
    out += f", {rec['side_by_side']} chapters side by side" if (rec.get("side_by_side") or 1) > 1 else ""
    if "load_start" in rec:  # what else ran: the machine's 1-minute load average at the start and the end
        out += f", load {rec['load_start']:g} → {rec.get('load_end', '?')}"
    return out + (f", GPU {dev['gpu']}" if dev.get("gpu") else "")


def status_line(rec: dict | None, has_cell: bool, note: str, current: str) -> tuple[str, str]:
    """(short status, the sentence the page prints) for one chapter."""
    said = f" The chapter's paper-sizes cell says: “{note}”." if note else ""
    if rec is None:
        if not has_cell:
            return "no run", "No paper-scale run: the chapter has no cell tagged paper-sizes yet."
        return "no run", "No paper-scale run recorded yet (make paper NB=… records one)." + said
    stale = "" if rec.get("code") == current else " The chapter's code has changed since this run."
    # human text is marked as such; earlier attempts (kept by the runner) are listed, not hidden
    history = f" Note (written by hand): {rec['notes']}" if rec.get("notes") else ""
    if rec.get("earlier"):
        was = ", ".join(f"{e.get('status', '?')} ({e.get('date', '?')}, commit {e.get('commit') or '?'}"
                        + ("" if e.get("code") == current else ", other code") + ")" for e in rec["earlier"])
        history += f" Earlier attempts: {was}."
    stale += history
    when = f"{rec.get('date', '?')}, commit {rec.get('commit') or '?'}"
    device = where_ran(rec)
    if rec["status"] == "ok":
        claims = rec.get("claims", [])
        n_ok = sum(bool(c.get("passed")) for c in claims)
        outcome = (f"{n_ok} of {len(claims)} claim records passed" if claims else
                   "the chapter verifies no ledger claim; its checks (assertions) all held")
        return "ran", (f"Ran on {when}: {rec.get('seconds_wall', '?')} s wall, {rec.get('seconds_cpu', '?')} s CPU, "
                       f"{device}; {outcome}.{stale}")
    if rec["status"] == "timeout":
        return "too slow", f"No complete run: {rec.get('reason', '')} ({when}; {device}).{stale}{said}"
    if rec["status"] == "failed":
        return "failed", f"The paper-scale run failed ({when}; {device}): {rec.get('reason', '')}{stale}"
    by_hand = " (reason written by hand)" if rec.get("reason_by_hand") else ""
    return "not run", f"Not run{by_hand}: {rec.get('reason', '')}{said}{stale}"


class PaperRunsDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        runs_file, numbers_file = root / "book" / "paper_runs.json", root / "book" / "paper_numbers.yml"
        runs = json.loads(runs_file.read_text(encoding="utf-8")) if runs_file.exists() else {}
        numbers = (yaml.safe_load(numbers_file.read_text(encoding="utf-8")) or {}) if numbers_file.exists() else {}
        for f in (runs_file, numbers_file):
            env.note_dependency(str(f))
        summary, body = records_table(["Chapter", "Paper-scale run", "What happened"], [22, 10, 68], CLASSES)
        details: list[nodes.Node] = []
        counts: dict[str, int] = {}
        for part in parts(root):
            for doc in part.docs:
                path = root / f"{doc}.ipynb"
                if not doc.startswith("chapters/") or not path.exists():
                    continue
                nb = json.loads(path.read_text(encoding="utf-8"))
                has_cell, note = paper_cell_note(nb)
                rec = runs.get(f"{doc}.ipynb")
                short, line = status_line(rec, has_cell, note, code_hash(nb))
                counts[short] = counts.get(short, 0) + 1
                title = nb_title(nb) or doc.rsplit("/", 1)[-1]
                link = make_link(Record("chapter", doc, doc, {}, None), f"{chapter_code(root, doc)}. {title}")
                body += records_row([(link,), (nodes.Text(short),), (nodes.Text(line),)])
                if (rec and rec.get("status") == "ok") or numbers.get(f"{doc}.ipynb"):
                    details += self._details(root, doc, title, rec or {}, numbers.get(f"{doc}.ipynb") or [])
        counted = ", ".join(f"{n} {k}" for k, n in counts.items())
        intro = nodes.paragraph(text=f"{sum(counts.values())} chapters: {counted}.")
        return [intro, summary] + details

    def _details(self, root: Path, doc: str, title: str, rec: dict, numbers: list[dict]) -> list[nodes.Node]:
        out: list[nodes.Node] = [nodes.rubric("", "", *inline_math(f"{chapter_code(root, doc)}. {title}"),
                                              ids=["paper-" + nodes.make_id(doc.rsplit('/', 1)[-1])])]
        if rec.get("parameters"):
            sizes = ", ".join(f"{k} = {v}" for k, v in rec["parameters"].items())
            out.append(nodes.paragraph(text=f"Parameters in force: {sizes}."))
        if numbers:
            table, tb = records_table(
                ["Quantity", "The paper", "This book at paper scale", "Where in the paper"], [34, 18, 20, 28], CLASSES
            )
            glued, claims = rec.get("glued", {}), {c["id"]: c for c in rec.get("claims", [])}
            for n in numbers:
                ours = "—"
                key = str(n.get("book", ""))
                if key.startswith("glue:") and key[5:] in glued:
                    ours = glued[key[5:]]
                elif key.startswith("claim:") and key[6:] in claims:
                    ours = fmt(claims[key[6:]]["measured"])
                se = str(n.get("book_se", ""))  # a glued standard error, shown beside the value
                if ours != "—" and se.startswith("glue:") and se[5:] in glued:
                    ours += f" ± {glued[se[5:]]}"
                tb += records_row([(nodes.Text(str(n.get("quantity", ""))),), (nodes.Text(str(n.get("paper", ""))),),
                            (nodes.Text(ours),), (nodes.Text(str(n.get("where", ""))),)])
            out.append(table)
        if rec.get("claims"):
            table, tb = records_table(CLAIM_HEADERS, [22, 50, 12, 16], CLASSES)
            for c in rec["claims"]:
                q = c.get("quantity") or "measured"
                result = "passed" if c.get("passed") else "FAILED"
                tb += records_row([(nodes.literal(text=c["id"]),),
                            (nodes.Text(f"{q}: {fmt(c['measured'])} {c['relation']} {fmt(c['reference'])}"),),
                            (nodes.Text(fmt(c["tolerance"])),), (nodes.Text(result),)])
            out.append(table)
        return out


def setup(app):
    app.setup_extension("relulab_records")
    app.add_directive("relulab-paper-runs", PaperRunsDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
