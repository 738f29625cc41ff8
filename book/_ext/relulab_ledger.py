"""Sphinx extension: the Verification ledger, generated at build time from the records in the built chapters.

``{relulab-ledger}`` renders every claim of ``book/claims.yml``, grouped by the part of the book that verifies it,
with a summary line per paper: the claim and the paper's label, the statement, what was measured against what, the
tolerance, the negative control's outcome, and a link to the very cell that verified it.  The records are the
``application/vnd.relulab.claim+json`` outputs of ``relulab.claims.verify`` (see relulab_records), so the page shows
exactly what the built notebooks measured.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive

from relulab_records import PAPERS, Part, Record, chapter_code, collect, fmt, make_link, parts
from relulab_records import row as records_row
from relulab_records import table as records_table

HEADERS = ["Claim", "Statement", "Measured vs reference", "Tol.", "Negative control", "Ch."]
WIDTHS = [14, 24, 28, 8, 19, 7]


def place(claims: dict, found: dict[str, Record], book_parts: list[Part]) -> list[tuple[Part | None, list[str]]]:
    """Claim ids grouped by the part whose chapter verifies them, in book order.

    A claim not yet verified joins the part where most claims of its paper are verified, else a last group (None).
    """
    part_of_doc = {d: p for p in book_parts for d in p.docs}
    by_paper: dict[str, Counter] = {}
    for cid, rec in found.items():
        if cid in claims and rec.doc in part_of_doc:
            by_paper.setdefault(claims[cid]["paper"], Counter())[part_of_doc[rec.doc].caption] += 1
    groups: dict[str | None, list[str]] = {}
    for cid, meta in claims.items():
        if cid in found and found[cid].doc in part_of_doc:
            key = part_of_doc[found[cid].doc].caption
        elif meta["paper"] in by_paper:
            key = by_paper[meta["paper"]].most_common(1)[0][0]
        else:
            key = None
        groups.setdefault(key, []).append(cid)
    ordered = [(p, groups[p.caption]) for p in book_parts if p.caption in groups]
    return ordered + ([(None, groups[None])] if None in groups else [])


def passed(rec: Record) -> bool:
    return bool(rec.data.get("passed")) and rec.data.get("control") == "failed as expected"


def narrowed(rec: Record) -> str:
    """The narrower statement a chapter verified in place of the paper's claim ('' when verified as stated)."""
    return rec.data.get("narrowed") or ""


def paper_summary(claims: dict, ids: list[str], found: dict[str, Record]) -> list[str]:
    """One line per paper of a group: how many of its claims were verified and passed."""
    lines = []
    for paper in dict.fromkeys(claims[c]["paper"] for c in ids):
        mine = [c for c in ids if claims[c]["paper"] == paper]
        ok = sum(c in found and passed(found[c]) for c in mine)
        narrow = sum(c in found and passed(found[c]) and bool(narrowed(found[c])) for c in mine)
        failed = sum(c in found and not passed(found[c]) for c in mine)
        missing = sum(c not in found for c in mine)
        name = PAPERS.get(paper, paper)
        line = f"{name}: {ok} of {len(mine)} claims verified and passed"
        if narrow:
            line += f" ({narrow} only in a narrowed form)"
        if failed:
            line += f", {failed} FAILED"
        if missing:
            line += f", {missing} not yet verified"
        lines.append(line + ".")
    return lines


class LedgerDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        claims = yaml.safe_load((root / "book" / "claims.yml").read_text(encoding="utf-8"))
        env.note_dependency(str(root / "book" / "claims.yml"))
        records = collect(root, set(env.found_docs))
        found = {k: v for k, v in records["claim"].items() if k in claims}
        book_parts = parts(root)
        n_ok = sum(passed(r) for r in found.values())
        n_narrow = sum(passed(r) and bool(narrowed(r)) for r in found.values())
        n_findings = len(records["finding"])
        out: list[nodes.Node] = [nodes.paragraph(
            text=f"{n_ok} of {len(claims)} claims verified and passed, each with its negative control failing "
            f"({n_narrow} only in a narrowed form, said in their rows); "
            f"{len(claims) - len(found)} not yet verified; {len(found) - n_ok} failed; "
            f"{n_findings} finding{'s' if n_findings != 1 else ''} where the book departs from a paper.")]
        for part, ids in place(claims, found, book_parts):
            title = part.caption if part else "Claims whose part has not landed"
            anchor = "ledger-" + nodes.make_id(part.numeral if part and part.numeral else title)
            out.append(nodes.rubric(text=title, ids=[anchor], classes=["relulab-ledger-part"]))
            summary = nodes.bullet_list(classes=["relulab-ledger-summary"])
            for line in paper_summary(claims, ids, found):
                summary += nodes.list_item("", nodes.paragraph(text=line))
            out += [summary, self._table(root, claims, ids, found)]
        return out

    def _table(self, root: Path, claims: dict, ids: list[str], found: dict[str, Record]) -> nodes.table:
        table, tbody = records_table(HEADERS, WIDTHS, ["relulab-ledger", "relulab-wide", "colwidths-given"])
        for cid in ids:
            meta = claims[cid]
            who = nodes.inline(classes=["relulab-label"])
            who += nodes.Text(f"{PAPERS.get(meta['paper'], meta['paper'])}, {meta['label']}")
            claim_cell = (nodes.literal(text=cid), who)  # two paragraphs: the id, then the paper and its label
            if cid not in found:
                cells = [claim_cell, nodes.Text(meta["statement"]),
                         nodes.emphasis(text="not yet verified (its chapter has not landed)"), nodes.Text("—"),
                         nodes.Text("—"), nodes.Text("—")]
            else:
                rec = found[cid]
                d = rec.data
                q = d.get("quantity") or "measured"
                measured = f"{q}: {fmt(d['measured'])} {d['relation']} {fmt(d['reference'])}"
                if not passed(rec):
                    measured = "FAILED: " + measured
                control = "fails" if d["control"] == "failed as expected" else d["control"]
                if d.get("control_margin") not in (None, ""):
                    control += f", by {fmt(d['control_margin'])}× tol"
                if d.get("control_quantity"):
                    control += f" ({d['control_quantity']})"
                code = chapter_code(root, rec.doc)
                where = "the cell" if rec.anchor else "the chapter"
                link = make_link(rec, f"ch. {code}", title=f"{rec.doc.rsplit('/', 1)[-1]}: {where} that verified {cid}")
                statement = nodes.Text(meta["statement"])
                if narrowed(rec):
                    statement = (nodes.Text(meta["statement"]),
                                 nodes.strong(text="Verified only in a narrowed form: " + narrowed(rec)))
                cells = [claim_cell, statement, nodes.Text(measured),
                         nodes.Text(fmt(d["tolerance"])), nodes.Text(control), link]
            row = records_row(cells)
            row["ids"] = ["ledger-" + nodes.make_id(cid)]
            tbody += row
        return table


def setup(app):
    app.setup_extension("relulab_records")
    app.add_directive("relulab-ledger", LedgerDirective)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
