"""Check the book's PDF (make pdf) as a reader would see it.

    python tests/check_pdf.py [_build/pdf/paths-and-gates.pdf] [--html _build/pdf/_build/singlehtml]

- pages: at least a few per chapter;
- no missing-glyph box: every glyph drawn with a CID font (Chromium embeds every text font so) has an id other than 0,
  the .notdef box a font draws for a character it lacks (Chromium marks such a box with the character it stands for,
  which the report names);
- math rendered: no raw TeX delimiter (`$$`, `\\(`, `\\[`) is left in the text (MathJax replaces every one);
- figures: the PDF holds at least as many images as the single-page HTML shows;
- text (with poppler's pdftotext): every chapter title, the generated pages and every verified claim id are there;
- a few pages are rendered to PNG (poppler's pdftoppm) in _build/pdf/pages/ for a person to look at; blank pages fail.
Where Chromium is absent (so no PDF was made) it says SKIPPED and exits 0; where poppler is absent, the checks that
need it say so and the others still run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from check_html import chromium  # noqa: E402

OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
REF = re.compile(rb"(\d+) 0 R")


class Pdf:
    """The few things of a PDF this check needs, read with regular expressions (Chromium writes plain objects)."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        self.objects: dict[int, bytes] = {int(m.group(1)): m.group(2) for m in OBJ.finditer(data)}

    def dict_of(self, num: int) -> bytes:
        body = self.objects.get(num, b"")
        return body.split(b"stream", 1)[0]

    def stream(self, num: int) -> bytes:
        body = self.objects.get(num, b"")
        if b"stream" not in body:
            return b""
        raw = re.split(rb"stream\r?\n", body, maxsplit=1)[1].rsplit(b"endstream", 1)[0]
        if b"/FlateDecode" in self.dict_of(num):
            try:
                return zlib.decompressobj().decompress(raw)
            except zlib.error:
                return b""
        return raw

    def pages(self) -> list[int]:
        """Page objects in reading order (the page tree from /Root)."""
        root = next((n for n, b in self.objects.items() if re.search(rb"/Type\s*/Catalog", b)), None)
        if root is None:
            return []
        m = re.search(rb"/Pages\s+(\d+) 0 R", self.dict_of(root))
        out: list[int] = []

        def walk(num: int, depth: int = 0) -> None:
            d = self.dict_of(num)
            if re.search(rb"/Type\s*/Page\b(?!s)", d):
                out.append(num)
            elif depth < 50:
                kids = re.search(rb"/Kids\s*\[(.*?)\]", d, re.S)
                for k in REF.findall(kids.group(1) if kids else b""):
                    walk(int(k), depth + 1)

        if m:
            walk(int(m.group(1)))
        return out

    def fonts(self) -> dict[int, tuple[str, bytes]]:
        """Font objects: number -> (base font name, subtype)."""
        out = {}
        for n in self.objects:
            d = self.dict_of(n)
            if re.search(rb"/Type\s*/Font\b", d):
                base = re.search(rb"/BaseFont\s*/([^\s/<>\[\]]+)", d)
                sub = re.search(rb"/Subtype\s*/(\w+)", d)
                out[n] = (base.group(1).decode("latin-1") if base else "?", sub.group(1) if sub else b"?")
        return out

    def resource_fonts(self, page: int) -> dict[bytes, int]:
        """Font resource name -> font object, for one page (resources inline or referenced)."""
        d = self.dict_of(page)
        res = re.search(rb"/Resources\s+(\d+) 0 R", d)
        if res:
            d = self.dict_of(int(res.group(1)))
        m = re.search(rb"/Font\s*(?:(\d+) 0 R|<<(.*?)>>)", d, re.S)
        if not m:
            return {}
        body = self.dict_of(int(m.group(1))) if m.group(1) else m.group(2)
        return {name: int(num) for name, num in re.findall(rb"/([^\s/<>]+)\s+(\d+) 0 R", body)}

    def contents(self, page: int) -> bytes:
        d = self.dict_of(page)
        m = re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", d, re.S)
        return b"".join(self.stream(int(n)) for n in REF.findall(m.group(1))) if m else b""

    def image_count(self) -> int:
        return sum(bool(re.search(rb"/Subtype\s*/Image", self.dict_of(n))) for n in self.objects)


TEXT_OP = re.compile(
    rb"/([^\s/<>\[\]]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>\s*Tj|\[((?:[^\]]|\n)*?)\]\s*TJ|"
    rb"/ActualText\s*<([0-9A-Fa-f]+)>"
)


def missing_glyphs(pdf: Pdf) -> list[tuple[int, str]]:
    """(page number, the character it stands for or '?') for every .notdef glyph drawn with a CID (Type0) font."""
    fonts = pdf.fonts()
    found = []
    for page_no, page in enumerate(pdf.pages(), start=1):
        names = pdf.resource_fonts(page)
        cid = False
        actual = ""
        for m in TEXT_OP.finditer(pdf.contents(page)):
            if m.group(1) is not None:
                cid = fonts.get(names.get(m.group(1), -1), ("", b""))[1] == b"Type0"
            elif m.group(4) is not None:
                try:
                    actual = bytes.fromhex(m.group(4).decode()).decode("utf-16-be").lstrip("\ufeff")
                except (ValueError, UnicodeDecodeError):
                    actual = "?"
            elif cid:
                hexes = [m.group(2)] if m.group(2) is not None else re.findall(rb"<([0-9A-Fa-f\s]*)>", m.group(3))
                for h in hexes:
                    h = re.sub(rb"\s", b"", h)
                    n_missing = sum(h[i : i + 4] == b"0000" for i in range(0, len(h) - 3, 4))
                    found += [(page_no, actual or "?")] * n_missing
                actual = ""
    return found


def chapter_titles(src: Path) -> list[str]:
    titles = []
    for nb in sorted((src / "chapters").rglob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            m = re.search(r"^#\s+(.+)$", text, re.M) if cell["cell_type"] == "markdown" else None
            if m:
                # the words before any math, as rendered: inline code loses its backticks
                titles.append(m.group(1).split("$")[0].replace("`", "").strip())
                break
    return titles


def squash(s: str) -> str:
    """Text compared without white space (tables wrap words) and with plain quotes (MyST makes them typographic)."""
    return re.sub(r"\s+", "", s).translate(str.maketrans("’‘“”", "''\"\""))


def check(pdf_path: Path, html_dir: Path, src: Path, pages_dir: Path) -> list[str]:
    problems: list[str] = []
    pdf = Pdf(pdf_path)
    pages = pdf.pages()
    n_chapters = len(list((src / "chapters").rglob("*.ipynb")))
    print(f"check_pdf: {pdf_path}: {len(pages)} pages, {pdf_path.stat().st_size / 2**20:.1f} MiB")
    if len(pages) < 3 * n_chapters + 5:
        problems.append(f"only {len(pages)} pages for {n_chapters} chapters: the book did not print whole")
    for page_no, char in missing_glyphs(pdf):
        problems.append(f"page {page_no}: a missing-glyph box (for {char!r})")
    html = (html_dir / "paths-and-gates.html").read_text(encoding="utf-8", errors="replace")
    n_img = len(set(re.findall(r'<img[^>]+src="(_images/[^"]+)"', html)))
    if pdf.image_count() < n_img:
        problems.append(f"{pdf.image_count()} images in the PDF, {n_img} figures in the book")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, text=True).stdout
        flat = squash(text)
        for needed in ["Verification ledger", "Findings", "Paper-scale results", *chapter_titles(src)]:
            if squash(needed) not in flat:
                problems.append(f"the text has no {needed!r}")
        sys.path.insert(0, str(ROOT / "book" / "_ext"))
        from relulab_records import collect

        for cid in collect(src)["claim"]:
            if cid not in flat:
                problems.append(f"claim {cid} is verified in a chapter but absent from the PDF's ledger")
        if "$$" in text or "\\(" in text or "\\[" in text:
            problems.append("raw TeX delimiters ($$, \\(, \\[) in the text: MathJax did not render everything")
        if "\ufffd" in text:
            problems.append("replacement characters (U+FFFD) in the text")
    else:
        print("check_pdf: text checks SKIPPED — no pdftotext (Debian: apt-get install poppler-utils)")
    if shutil.which("pdftoppm"):
        pages_dir.mkdir(parents=True, exist_ok=True)
        for old in pages_dir.glob("*.png"):
            old.unlink()
        picks = sorted({1, 2, max(1, len(pages) // 3), max(1, len(pages) // 2), len(pages)})
        for p in picks:
            subprocess.run(
                ["pdftoppm", "-r", "60", "-png", "-f", str(p), "-l", str(p), str(pdf_path), str(pages_dir / "page")],
                check=False,
            )
        from PIL import Image, ImageStat

        shots = sorted(pages_dir.glob("page-*.png"))
        for shot in shots:
            if max(ImageStat.Stat(Image.open(shot).convert("L")).stddev) < 1.0:
                problems.append(f"{shot.name} is blank")
        print(f"check_pdf: pages {picks} rendered to {pages_dir.relative_to(ROOT)}/ for a person to look at")
    else:
        print("check_pdf: page images SKIPPED — no pdftoppm (Debian: apt-get install poppler-utils)")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf", nargs="?", default=str(ROOT / "_build" / "pdf" / "paths-and-gates.pdf"))
    ap.add_argument("--html", default=str(ROOT / "_build" / "pdf" / "_build" / "singlehtml"))
    ap.add_argument("--src", default=str(ROOT / "_build" / "pdf" / "src"))
    args = ap.parse_args()
    pdf_path = Path(args.pdf).resolve()
    if not pdf_path.exists():
        if chromium() is None:
            print("check_pdf: SKIPPED — no Chromium, so make pdf made no PDF (Debian: apt-get install chromium)")
            return 0
        print(f"check_pdf: no PDF at {pdf_path}: run make pdf", file=sys.stderr)
        return 1
    problems = check(pdf_path, Path(args.html).resolve(), Path(args.src).resolve(), ROOT / "_build" / "pdf" / "pages")
    for p in problems[:50]:
        print(f"FAIL {p}", file=sys.stderr)
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more", file=sys.stderr)
    print(f"check_pdf: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
