"""Open every built page in headless Chromium and check what a reader would see.

On every page: MathJax rendered (no raw `$$` or `\\(` and no TeX command such as `\\sigma` left in the text, e.g.
from a `$$` that the Markdown parser split; <mjx-container> elements present wherever the source has math), no
request left the machine (Chromium's own network log lists every URL it fetched), and no console error. A screenshot
of each part's first page goes to _build/screens/.  Where Chromium is absent the check says so clearly and exits 0
(it is a reader-side check; `.ci/run` installs Chromium first, so CI always runs it).

    python tests/check_html.py [_build/html]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW_TEX = re.compile(r"\\(?:[a-zA-Z]{2,})\b")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--mute-audio",
    "--virtual-time-budget=15000",
]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Text(HTMLParser):
    """Visible text of a rendered DOM, without scripts, styles, code blocks, MathJax's markup or print-only parts."""

    # <title> is the browser tab's text, which no page can typeset
    SKIP = {"script", "style", "pre", "code", "mjx-container", "mjx-assistive-mml", "textarea", "noscript", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # open elements, and whether each hides its text
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        # the theme's print-only header (class "onlyprint") repeats the title as plain text, hidden on screen
        hidden = tag in self.SKIP or "onlyprint" in (dict(attrs).get("class") or "").split()
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not any(hidden for _, hidden in self.stack):
            self.parts.append(data)


def visible_text(dom: str) -> str:
    p = _Text()
    p.feed(dom)
    return " ".join(p.parts)


def run(browser: str, page: Path, extra: list[str], profile: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def remote_requests(netlog: Path) -> list[str]:
    """Network URLs that the *page* asked for, from Chromium's net log.

    Chromium itself phones home at start (update checks, accounts); those requests carry the initiator
    'not an origin'.  Requests made by a page (scripts, styles, fonts, fetches) carry the page's origin as
    initiator ("null" for a file:// page), and none of them may use the network.
    """
    if not netlog.exists():
        return ["(no network log written)"]
    text = netlog.read_text(encoding="utf-8", errors="replace")
    if not text.rstrip().endswith("}"):
        text = text.rstrip().rstrip(",") + "]}"  # the log is closed lazily; make it valid JSON
    log = json.loads(text)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = set()
    for e in log.get("events", []):
        p = e.get("params", {})
        if e.get("type") == start_job and p.get("initiator") != "not an origin":
            if re.match(r"(https?|wss?|ftp)://", p.get("url", "")):
                urls.add(p["url"])
    return sorted(urls)


def check_page(browser: str, html_dir: Path, page: Path, source_has_math: bool) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as profile:
        netlog = Path(profile) / "net.json"
        res = run(browser, page, ["--dump-dom", f"--log-net-log={netlog}", "--enable-logging=stderr", "--v=0"], profile)
        dom = res.stdout
        if res.returncode != 0 or "<html" not in dom:
            return [f"chromium failed (rc {res.returncode}): {res.stderr[-500:]}"]
        text = visible_text(dom)
        if "$$" in text or re.search(r"\\\(|\\\[", text):
            problems.append("raw TeX left in the rendered text (MathJax did not render)")
        tex = RAW_TEX.search(text)
        if tex:  # e.g. a $$...$$ that the Markdown parser split: its commands show as text
            problems.append(
                f"raw TeX command in the rendered text: ...{text[max(0, tex.start() - 40) : tex.end() + 20]}..."
            )
        if source_has_math and "<mjx-container" not in dom:
            problems.append("the page has math but no <mjx-container>: MathJax did not run")
        for u in remote_requests(netlog):
            problems.append(f"request left the machine: {u}")
        for line in res.stderr.splitlines():
            if "CONSOLE" in line and ("Uncaught" in line or '"error"' in line.lower() or "ERROR" in line):
                problems.append(f"console error: {line.strip()[:300]}")
    return problems


def first_pages(html_dir: Path) -> dict[str, Path]:
    """The first page of every part of the book (by folder under chapters/), and the intro."""
    firsts = {"intro": html_dir / "book" / "intro.html"}
    for part in sorted((html_dir / "chapters").glob("*")):
        pages = sorted(part.glob("*.html"))
        if pages:
            firsts[part.name] = pages[0]
    return firsts


def main() -> int:
    html_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html").resolve()
    browser = chromium()
    if browser is None:
        print("check_html: SKIPPED — no Chromium found (apt-get install chromium); the offline grep check still ran")
        return 0
    pages = sorted(p for p in html_dir.rglob("*.html") if p.name not in ("search.html", "genindex.html"))
    if not pages:
        print(f"check_html: no pages under {html_dir}", file=sys.stderr)
        return 1
    failures = 0
    for page in pages:
        src = page.read_text(encoding="utf-8", errors="replace")
        has_math = 'class="math notranslate' in src
        problems = check_page(browser, html_dir, page, has_math)
        rel = page.relative_to(html_dir)
        if problems:
            failures += 1
            for p in problems:
                print(f"FAIL {rel}: {p}", file=sys.stderr)
        else:
            print(f"ok   {rel}")
    screens = ROOT / "_build" / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    for name, page in first_pages(html_dir).items():
        with tempfile.TemporaryDirectory() as profile:
            out = screens / f"{name}.png"
            run(browser, page, [f"--screenshot={out}", "--window-size=1200,1600", "--hide-scrollbars"], profile)
            print(f"screenshot {out.relative_to(ROOT)}" + ("" if out.exists() else " (FAILED)"))
            failures += not out.exists()
    print(f"check_html: {len(pages)} pages, {failures} with problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
