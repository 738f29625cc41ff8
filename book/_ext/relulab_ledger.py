"""Sphinx extension: the Verification ledger table, generated at build time from the committed notebooks.

``{relulab-ledger}`` renders one row per claim of ``book/claims.yml``: the claim, the paper's label, the chapter
that verifies it (a link), what was measured against what, the tolerance and the negative control's outcome.
The records are the ``application/vnd.relulab.claim+json`` outputs that ``relulab.claims.verify`` left in the
notebooks, so the page always shows what the committed chapters measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.addnodes import pending_xref

MIME = "application/vnd.relulab.claim+json"


def collect(root: Path, docs: set[str] | None = None) -> dict[str, tuple[str, dict]]:
    """claim id -> (docname of the chapter, record), from the notebooks under chapters/ that are in the book."""
    found: dict[str, tuple[str, dict]] = {}
    for nb in sorted((root / "chapters").rglob("*.ipynb")):
        doc = nb.relative_to(root).with_suffix("").as_posix()
        if ".ipynb_checkpoints" in nb.parts or (docs is not None and doc not in docs):
            continue
        for cell in json.loads(nb.read_text(encoding="utf-8")).get("cells", []):
            for out in cell.get("outputs", []):
                rec = out.get("data", {}).get(MIME)
                if rec is not None:
                    rec = json.loads(rec) if isinstance(rec, str) else rec
                    found[rec["id"]] = (doc, rec)
    return found


def _fmt(x) -> str:
    if isinstance(x, str):
        return x
    return f"{x:.4g}"


class LedgerDirective(Directive):
    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        claims = yaml.safe_load((root / "book" / "claims.yml").read_text(encoding="utf-8"))
        env.note_dependency(str(root / "book" / "claims.yml"))
        found = collect(root, set(env.found_docs))
        headers = ["Claim", "Paper, label", "Statement", "Chapter", "Measured", "Tolerance", "Negative control"]
        widths = [14, 14, 26, 16, 14, 7, 12]
        table = nodes.table(classes=["relulab-ledger"])
        tgroup = nodes.tgroup(cols=len(headers))
        table += tgroup
        for w in widths:
            tgroup += nodes.colspec(colwidth=w)
        thead = nodes.thead()
        tgroup += thead
        thead += self._row([nodes.Text(h) for h in headers])
        tbody = nodes.tbody()
        tgroup += tbody
        n_pass = 0
        for cid, meta in claims.items():
            paper = meta["paper"]
            if paper == "book":
                paper_cell = nodes.Text(f"the book's own · {meta['label']}")
            else:
                paper_cell = nodes.Text(f"{_PAPERS.get(paper, paper)} · {meta['label']}")
            if cid in found:
                doc, rec = found[cid]
                link = pending_xref("", nodes.inline(text=doc.rsplit("/", 1)[-1]), refdomain="std", reftype="doc",
                                    reftarget="/" + doc, refdoc=env.docname, refexplicit=False, refwarn=True)
                link_para = nodes.inline()
                link_para += link
                q = rec.get("quantity") or "measured"
                measured = f"{q}: {_fmt(rec['measured'])} {rec['relation']} {_fmt(rec['reference'])}"
                control = rec["control"] + (f" ({_fmt(rec['control_margin'])}× tol)" if rec.get("control_margin") else "")
                status = "" if rec["passed"] else "FAILED: "
                n_pass += bool(rec["passed"])
                cells = [nodes.literal(text=cid), paper_cell, nodes.Text(meta["statement"]), link_para,
                         nodes.Text(status + measured), nodes.Text(_fmt(rec["tolerance"])), nodes.Text(control)]
            else:
                cells = [nodes.literal(text=cid), paper_cell, nodes.Text(meta["statement"]),
                         nodes.emphasis(text="not yet verified (its part has not landed)"), nodes.Text("—"),
                         nodes.Text("—"), nodes.Text("—")]
            tbody += self._row(cells)
        summary = nodes.paragraph(
            text=f"{n_pass} of {len(claims)} claims verified and passed, each with its negative control failing; "
            f"{len(claims) - len(found)} not yet verified."
        )
        return [summary, table]

    @staticmethod
    def _row(cells: list[nodes.Node]) -> nodes.row:
        row = nodes.row()
        for c in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para += c
            entry += para
            row += entry
        return row


_PAPERS = {
    "arora2018": "Arora et al. 2018",
    "tian2018": "Tian 2018",
    "gonon2024": "Gonon et al. 2025",
    "gonon2024toolkit": "Gonon et al. 2024",
    "lakshminarayanan2020": "Lakshminarayanan & Singh 2020",
}


def setup(app):
    app.add_directive("relulab-ledger", LedgerDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
