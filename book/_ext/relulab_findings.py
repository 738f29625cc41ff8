"""Sphinx extension: the Findings page, generated at build time from the finding records in the built chapters.

``{relulab-findings}`` lists every place where the book disagrees with, corrects, narrows or cannot reproduce a
paper: one row per ``application/vnd.relulab.finding+json`` record that ``relulab.finding`` left in a chapter, with
the paper's statement and its label, what the book measured, the book's corrected statement, whether the paper's
text was read, and a link to the cell that measured the evidence.  Nothing on the page is typed by hand, so it
cannot drift from the chapters.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive

from relulab_records import PAPERS, Record, chapter_code, collect, fmt, make_link
from relulab_records import row as records_row
from relulab_records import table as records_table

# How a finding departs from the paper (relulab.claims.FINDING_KINDS), in the order the page shows them.
KINDS = {
    "corrects": ("Corrected", "the paper's statement is wrong as printed; the book states the corrected one"),
    "narrows": ("Narrowed", "the statement holds only under an extra hypothesis or in a narrower range"),
    "needlessly-strong": ("Needlessly strong", "the statement holds under weaker hypotheses than the paper assumes"),
    "not-reproduced": ("Not reproduced", "the book could not reproduce the paper's result"),
    "clarifies": ("Clarified", "the paper's text admits two readings; the book fixes one and checks it"),
}
HEADERS = ["Finding", "The paper says", "The book measured", "The book says", "Evidence"]
WIDTHS = [14, 26, 18, 30, 12]


def rows(findings: dict[str, Record], claims: dict) -> list[tuple[str, Record, str]]:
    """(kind, record, the paper and label of the claim it is about), one per finding, grouped by kind."""
    order = {k: i for i, k in enumerate(KINDS)}
    out = []
    for rec in findings.values():
        meta = claims.get(rec.data.get("claim", ""), {})
        about = f"{PAPERS.get(meta.get('paper', ''), meta.get('paper', ''))}, {meta['label']}" if meta else \
            f"claim {rec.data.get('claim', '?')}"
        out.append((rec.data.get("kind", "clarifies"), rec, about))
    return sorted(out, key=lambda t: (order.get(t[0], len(order)), t[1].doc, t[1].id))


class FindingsDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        claims = yaml.safe_load((root / "book" / "claims.yml").read_text(encoding="utf-8"))
        env.note_dependency(str(root / "book" / "claims.yml"))
        found = collect(root, set(env.found_docs))["finding"]
        entries = rows(found, claims)
        if not entries:
            return [nodes.paragraph(text="No chapter states a finding against a paper yet.")]
        n_read = sum(r.data.get("text_read", "").startswith("yes") for _, r, _ in entries)
        n_fail = sum(not r.data.get("passed") for _, r, _ in entries)
        out: list[nodes.Node] = [nodes.paragraph(
            text=f"{len(entries)} finding{'s' if len(entries) != 1 else ''}; the paper's own text was read for "
            f"{n_read} of them" + (f"; {n_fail} whose evidence DID NOT HOLD" if n_fail else "") + ".")]
        for kind in dict.fromkeys(k for k, _, _ in entries):
            mine = [(r, about) for k, r, about in entries if k == kind]
            title, meaning = KINDS.get(kind, (kind, ""))
            out.append(nodes.rubric(text=f"{title} ({len(mine)}): {meaning}",
                                    ids=["findings-" + nodes.make_id(kind)]))
            out.append(self._table(root, mine))
        return out

    def _table(self, root: Path, entries: list[tuple[Record, str]]) -> nodes.table:
        table, tbody = records_table(HEADERS, WIDTHS, ["relulab-findings", "relulab-wide", "colwidths-given"])
        for rec, about in entries:
            d = rec.data
            q = d.get("quantity") or "measured"
            measured = f"{q}: {fmt(d['measured'])} {d['relation']} {fmt(d['reference'])} (tol {fmt(d['tolerance'])})"
            verdict = "the evidence holds" if d.get("passed") else "the evidence DID NOT HOLD"
            code = chapter_code(root, rec.doc)
            where = "the cell" if rec.anchor else "the chapter"
            link = make_link(rec, f"ch. {code}, {where}", title=f"{rec.doc.rsplit('/', 1)[-1]}: {where} that checks "
                             f"finding {rec.id}")
            cells = [
                (nodes.literal(text=rec.id), nodes.Text(about)),
                (nodes.Text(d.get("paper_says", "")), nodes.emphasis(text=f"Paper's text read: {d.get('text_read', '')}")),
                (nodes.Text(measured), nodes.Text(verdict)),
                (nodes.Text(d.get("book_says", "")),),
                (link,),
            ]
            row = records_row(cells)
            row["ids"] = ["findings-row-" + nodes.make_id(rec.id)]
            tbody += row
        return table


def setup(app):
    app.setup_extension("relulab_records")
    app.add_directive("relulab-findings", FindingsDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
