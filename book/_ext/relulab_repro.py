"""Sphinx extension: facts of the build itself, shown on the reproducibility page.

``{relulab-versions}`` lists the versions of the packages that executed the chapters; ``{relulab-timings}`` shows how
long each chapter took in the last `make book` / `make test` run on this machine (from ``_build/timings.json``,
written by ``tests/run_chapters.py``), so the time budget is measured, not claimed.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from relulab_records import row as records_row
from relulab_records import table as records_table

PACKAGES = ["torch", "numpy", "scipy", "scikit-learn", "mlxtend", "matplotlib", "seaborn", "papermill", "nbval",
            "jupyter-book", "sphinx-proof", "relulab"]


def _table(headers: list[str], rows: list[list[str]]) -> nodes.table:
    table, tbody = records_table(headers, [1] * len(headers))
    for cells in rows:
        tbody += records_row([nodes.Text(c) for c in cells])
    return table


class Versions(Directive):
    def run(self):
        rows = [["Python", platform.python_version()]]
        for p in PACKAGES:
            try:
                rows.append([p, metadata.version(p)])
            except metadata.PackageNotFoundError:
                rows.append([p, "not installed"])
        return [_table(["package", "version"], rows)]


class Timings(Directive):
    def run(self):
        env = self.state.document.settings.env
        # the staged build (tools/stage_book.py) names the repository's timings file; a plain build looks beside it
        path = Path(env.config.relulab_timings_file or Path(env.srcdir) / "_build" / "timings.json")
        if not path.exists():
            return [nodes.paragraph(text="No chapter timings yet: run `make book` (or `make test`) to measure them.")]
        data = json.loads(path.read_text())
        runs = [(k, v) for k, v in data.items()]
        names = sorted({n for _, v in runs for n in v["seconds"]})
        headers = ["chapter"] + [f"{k} run (s)" + (f", {v['parameters']}" if v["parameters"] else "") for k, v in runs]
        rows = [[n.removeprefix("chapters/")] + [str(v["seconds"].get(n, "—")) for _, v in runs] for n in names]
        note = nodes.paragraph(
            text="Wall time of each chapter under papermill on the machine that built this copy of the book "
            "(two chapters at a time, one thread each)."
        )
        return [note, _table(headers, rows)]


def setup(app):
    app.add_config_value("relulab_timings_file", "", "env")
    app.add_directive("relulab-versions", Versions)
    app.add_directive("relulab-timings", Timings)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
