"""Sphinx extension: the claim and finding records stored in the built chapters, and links to the cells that hold them.

`relulab.claims.verify` and `relulab.finding` leave one output per record in the notebook: a JSON record
(``application/vnd.relulab.claim+json`` / ``...finding+json``) and, beside it, a ``text/html`` form
``<pre id="claim-...">`` that the generated pages link to.  This module reads them (from the notebooks that Sphinx
builds, so the pages always show what those notebooks hold) and provides :class:`record_link`, a node that becomes a
link to the very cell once the builder knows its URLs (a chapter stored before records had anchors gets a link to the
chapter page instead).  The Verification ledger and the Findings page use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from docutils import nodes

CLAIM_MIME = "application/vnd.relulab.claim+json"
FINDING_MIME = "application/vnd.relulab.finding+json"
HTML_ID = re.compile(r"""<pre\b[^>]*\bid=["']([^"']+)["']""")

PAPERS = {
    "arora2018": "Arora et al. 2018",
    "tian2018": "Tian 2018",
    "gonon2024": "Gonon et al. 2025",
    "gonon2024toolkit": "Gonon et al. 2024",
    "lakshminarayanan2020": "Lakshminarayanan & Singh 2020",
    "book": "the book's own",
}


@dataclass(frozen=True)
class Record:
    """One record found in a notebook: which chapter holds it and the HTML id of its cell output (if any)."""

    kind: str  # "claim" or "finding"
    id: str
    doc: str  # Sphinx docname of the chapter, e.g. chapters/part1-pwl/01-relu-nets-are-pwl
    data: dict
    anchor: str | None


@dataclass(frozen=True)
class Part:
    """A part of the book as _toc.yml lists it."""

    caption: str
    numeral: str  # "I", "II", ... ("" for an unnumbered part)
    docs: tuple[str, ...]


def _text(x) -> str:
    return x if isinstance(x, str) else "".join(x)


def notebook_records(path: Path, doc: str) -> list[Record]:
    """Every claim and finding record in the outputs of one notebook, in cell order."""
    found = []
    for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for kind, mime in (("claim", CLAIM_MIME), ("finding", FINDING_MIME)):
                if mime in data:
                    rec = data[mime]
                    rec = json.loads(rec) if isinstance(rec, str) else rec
                    m = HTML_ID.search(_text(data.get("text/html", "")))
                    found.append(Record(kind, rec["id"], doc, rec, m.group(1) if m else None))
    return found


def collect(root: Path, docs: set[str] | None = None) -> dict[str, dict[str, Record]]:
    """{"claim": {id: Record}, "finding": {id: Record}} over the chapters under `root`/chapters (in the build)."""
    out: dict[str, dict[str, Record]] = {"claim": {}, "finding": {}}
    for nb in sorted((root / "chapters").rglob("*.ipynb")):
        doc = nb.relative_to(root).with_suffix("").as_posix()
        if ".ipynb_checkpoints" in nb.parts or (docs is not None and doc not in docs):
            continue
        for rec in notebook_records(nb, doc):
            out[rec.kind][rec.id] = rec
    return out


@lru_cache(maxsize=8)
def parts(root: Path) -> list[Part]:
    """The numbered parts of the book in _toc.yml order, with their chapters' docnames."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found, n = [], 0
    for part in toc.get("parts", []):
        docs: list[str] = []

        def walk(entries):
            for e in entries or []:
                if e.get("file"):
                    docs.append(e["file"].removesuffix(".ipynb").removesuffix(".md"))
                walk(e.get("sections"))

        walk(part.get("chapters"))
        numbered = bool(part.get("numbered"))
        n += numbered
        found.append(Part(part.get("caption", ""), _roman(n) if numbered else "", tuple(docs)))
    return found


def _roman(n: int) -> str:
    return ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][n] if n <= 10 else str(n)


def chapter_code(root: Path, doc: str) -> str:
    """A chapter's number as the book numbers it (continuously across the numbered parts: "5"), else its file name."""
    n = 0
    for p in parts(root):
        if not p.numeral:
            continue
        if doc in p.docs:
            return str(n + p.docs.index(doc) + 1)
        n += len(p.docs)
    return doc.rsplit("/", 1)[-1]


def inline_math(text: str) -> list[nodes.Node]:
    """`text` as Text and math nodes, so that a title such as "pieces in $\\mathbb R^n$" renders its math."""
    out: list[nodes.Node] = []
    for i, piece in enumerate(re.split(r"(?<!\\)\$", text)):
        if piece:
            out.append(nodes.math(piece, piece) if i % 2 else nodes.Text(piece))
    return out


def fmt(x) -> str:
    """A stored number as the pages print it (4 significant digits; strings such as 'inf' as they are)."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return str(x)
    return f"{x:.4g}"


class record_link(nodes.Inline, nodes.TextElement):
    """A link to the cell that holds a record; resolved to a URL by :func:`resolve_links` for each builder."""


def make_link(rec: Record, text: str, title: str = "") -> record_link:
    """A link to the cell of `rec` (its chapter page when the record has no anchor), showing `text` (math allowed)."""
    node = record_link(text, "", *inline_math(text))
    node["doc"], node["anchor"], node["reftitle"] = rec.doc, rec.anchor or "", title
    return node


def resolve_links(app, doctree, fromdocname: str) -> None:
    """Replace every record_link by a reference to its chapter page, at the record's anchor where it has one."""
    builder = app.builder
    for node in list(doctree.findall(record_link)):
        doc, anchor = node["doc"], node["anchor"]
        if builder.name == "singlehtml":
            uri = f"#{anchor}" if anchor else f"#document-{doc}"
        else:
            try:
                uri = builder.get_relative_uri(fromdocname, doc) + (f"#{anchor}" if anchor else "")
            except Exception:  # a builder without per-document URLs (text, latex): keep the words, drop the link
                node.replace_self(nodes.Text(node.astext()))
                continue
        ref = nodes.reference("", "", *node.children, internal=True, refuri=uri)
        if node["reftitle"]:
            ref["reftitle"] = node["reftitle"]
        node.replace_self(ref)


def setup(app):
    app.add_node(record_link)
    app.connect("doctree-resolved", resolve_links)
    static = Path(__file__).with_name("static")
    app.connect("config-inited", lambda _app, config: config.html_static_path.append(str(static)))
    app.add_css_file("relulab-pages.css")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}


def table(headers: list[str], widths: list[int], classes: list[str] | None = None) -> tuple[nodes.table, nodes.tbody]:
    """A table with these column headers and relative widths, and the body to append its rows to."""
    tab = nodes.table(classes=classes or [])
    tgroup = nodes.tgroup(cols=len(headers))
    tab += tgroup
    for w in widths:
        tgroup += nodes.colspec(colwidth=w)
    thead, tbody = nodes.thead(), nodes.tbody()
    tgroup += thead
    tgroup += tbody
    thead += row([nodes.Text(h) for h in headers])
    return tab, tbody


def row(cells: list) -> nodes.row:
    """A table row; a cell is one inline node, or a tuple of inline nodes shown as separate paragraphs."""
    r = nodes.row()
    for c in cells:
        entry = nodes.entry()
        for part in c if isinstance(c, tuple) else (c,):
            entry += nodes.paragraph("", "", part)
        r += entry
    return r
