"""The API reference page (book/api.md, book/_ext/relulab_api.py) shows every docstring without a reST warning.

`make html` builds with -W, so one docstring that reST misreads (``|theta|`` is a substitution, ``x_`` a link) would
fail the whole book: every public docstring of relulab is run through the page's docstring filter and parsed by
docutils here, and the page's catch-all directive must reach every module.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import docutils.core
import docutils.utils
import pytest

import test_public_api

EXT = Path(__file__).resolve().parents[1] / "book" / "_ext" / "relulab_api.py"


def _ext():
    spec = importlib.util.spec_from_file_location("relulab_api", EXT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _warnings(rst: str) -> list[str]:
    messages: list[str] = []
    settings = {"report_level": docutils.utils.Reporter.WARNING_LEVEL, "halt_level": 5, "warning_stream": False}
    doc = docutils.core.publish_doctree(rst, settings_overrides=settings)
    for node in doc.findall(docutils.nodes.system_message):
        messages.append(node.astext())
    return messages


def test_every_public_docstring_parses_without_warnings():
    ext = _ext()
    bad = {}
    for qualname, obj in test_public_api.PUBLIC:
        doc = inspect.getdoc(obj)
        if not doc:
            continue
        lines = doc.splitlines()
        ext.plain_docstring(None, "function", qualname, obj, {}, lines)
        problems = _warnings("\n".join(lines))
        if problems:
            bad[qualname] = problems[0][:200]
    assert not bad, bad


@pytest.mark.parametrize(
    "text, shown", [("|theta|_q", "|theta|_q"), ("x_ and *args", "x_ and *args"), ("``a|b`` and `c`", "a|b and `c`")]
)
def test_markup_is_shown_as_written(text, shown):
    ext = _ext()
    lines = [text]
    ext.plain_docstring(None, "function", "relulab.x", None, {}, lines)
    assert docutils.core.publish_doctree(lines[0]).astext() == shown


def test_the_catch_all_reaches_every_module():
    import pkgutil

    import relulab

    walked = {m.name for m in pkgutil.walk_packages(relulab.__path__, "relulab.")} | {"relulab"}
    assert set(_ext().modules()) == walked
