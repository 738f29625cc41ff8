"""Sphinx extension: the API reference page, generated from relulab's docstrings (autodoc).

relulab's docstrings are plain text written for ``help()`` (``|theta|``, ``x_1``, ``*args`` are meant literally), not
reStructuredText.  So each docstring is shown as written: its first paragraph as escaped text (autosummary takes
its summary from there) and the rest as a literal block -- no docstring can break the build.  ``{relulab-api-rest}``
documents every relulab module that the page has not documented above it, so that a new module is on the page
without anyone adding it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

LIB = Path(__file__).resolve().parents[2] / "lib"
INLINE = re.compile(r"([\\*`|_])")


def _escape(text: str) -> str:
    """Backslash-escape reST inline markup outside ``literal`` spans."""
    parts = re.split(r"(``[^`]+``)", text)
    return "".join(p if p.startswith("``") and p.endswith("``") and len(p) > 4 else INLINE.sub(r"\\\1", p)
                   for p in parts)


def plain_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """First paragraph escaped, the rest verbatim in a literal block."""
    if not name.startswith("relulab") or not lines:
        return
    n = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    first = [_escape(line.strip()) for line in lines[:n]]
    rest = lines[n:]
    while rest and not rest[0].strip():
        rest = rest[1:]
    while rest and not rest[-1].strip():
        rest = rest[:-1]
    lines[:] = first + (["", "::", ""] + ["    " + line for line in rest] + [""] if rest else [])


def modules() -> list[str]:
    """Every module of relulab, packages first."""
    import relulab

    names = ["relulab"] + [m.name for m in pkgutil.walk_packages(relulab.__path__, "relulab.")]
    return sorted(names, key=lambda n: (n.count("."), n))


class ApiRest(SphinxDirective):
    """Automodule every relulab module not documented earlier on the page (the page is MyST: an eval-rst block)."""

    def run(self) -> list:
        from docutils import nodes

        done = set(self.env.domaindata.get("py", {}).get("modules", {}))
        rst = []
        for name in modules():
            if name in done:
                continue
            members = [] if hasattr(importlib.import_module(name), "__path__") else ["   :members:"]
            rst += [f".. rubric:: {name}", "", f".. automodule:: {name}", *members, ""]
        if not rst:
            return []
        text = ["```{eval-rst}", *rst, "```"]
        container = nodes.container()
        self.state.nested_parse(StringList(text, source="relulab-api-rest"), self.content_offset, container)
        return list(container.children)


def setup(app):
    if str(LIB) not in sys.path:  # the build imports this checkout's relulab, as `make html` does
        sys.path.insert(0, str(LIB))
    app.connect("autodoc-process-docstring", plain_docstring)
    app.add_directive("relulab-api-rest", ApiRest)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
