"""Fail if any built HTML page loads a script, stylesheet, font or image from the network.

The book must read offline: MathJax and every asset are served from the built book itself.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# src/href of tags that the browser fetches when the page loads (links in <a> are navigation, not loads)
LOADS = re.compile(r"<(script|link|img|iframe|source)\b[^>]*?\b(src|href)\s*=\s*[\"']((?:https?:)?//[^\"']+)", re.I)
CSS_URL = re.compile(r"@import\s+url\(\s*[\"']?(https?:)?//|url\(\s*[\"']?https?://", re.I)


def remote_loads(html_dir: Path) -> list[str]:
    bad = []
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for m in LOADS.finditer(text):
            tag = m.group(0)
            if m.group(1).lower() == "link" and re.search(r"rel\s*=\s*[\"'](canonical|alternate)", tag, re.I):
                continue
            bad.append(f"{page.relative_to(html_dir)}: <{m.group(1)}> loads {m.group(3)}")
    for css in sorted(html_dir.rglob("*.css")):
        if CSS_URL.search(css.read_text(encoding="utf-8", errors="replace")):
            bad.append(f"{css.relative_to(html_dir)}: imports a remote url()")
    return bad


def main() -> int:
    html_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    if not (html_dir / "index.html").is_file():
        print(f"no built book at {html_dir} (index.html missing)", file=sys.stderr)
        return 1
    bad = remote_loads(html_dir)
    for b in bad:
        print("remote load:", b, file=sys.stderr)
    n = len(list(html_dir.rglob("*.html")))
    print(f"offline check: {n} pages, {len(bad)} remote loads")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
