"""Sphinx extension: pages that read offline and render their math everywhere.

Jupyter Book 1 always loads sphinx-thebe, which injects an inline script declaring `THEBE_JS_URL` (a CDN address)
twice per page — a console error ("Identifier 'THEBE_JS_URL' has already been declared") — and thebe's live code
needs a remote kernel anyway.  The book has no live-code button, so its scripts are dropped from every page.
"""

from __future__ import annotations


def _drop_thebe(app, pagename, templatename, context, doctree) -> None:
    kept = []
    for js in context.get("script_files", []):
        name = str(getattr(js, "filename", js) or "")
        body = str(getattr(js, "attributes", {}).get("body", ""))
        if "thebe" in name or "THEBE_JS_URL" in body:
            continue
        kept.append(js)
    context["script_files"] = kept
    context["css_files"] = [c for c in context.get("css_files", []) if "thebe" not in str(getattr(c, "filename", c))]


def setup(app):
    # Chapter titles with math appear in every page's navigation, so MathJax must load on every page, not only on
    # pages whose body has math (Sphinx's default), or readers see raw TeX in the sidebar.
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
