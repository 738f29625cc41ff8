"""Share of lib/relulab's non-blank lines that check arguments (issue 16's "share of checking code").

    python bench/check_share.py [REV ...]     # the working tree, or each git revision given

Counted as checking: all of check.py; every statement that calls ``check.*`` or a ``_check*`` helper; every
``raise``; every ``if`` whose body only raises (its condition included).  Lines are non-blank source lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _is_check_call(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            f = call.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "check":
                return True
            if isinstance(f, ast.Name) and f.id.startswith("_check"):
                return True
    return False


def checking_lines(source: str, whole: bool) -> tuple[int, int]:
    """(checking lines, non-blank lines) of one module."""
    lines = source.splitlines()
    nonblank = {i + 1 for i, s in enumerate(lines) if s.strip()}
    if whole:
        return len(nonblank), len(nonblank)
    hit: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        span = None
        if isinstance(node, ast.Raise):
            span = node
        elif isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse:
            span = node
        elif isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) and _is_check_call(node):
            span = node
        if span is not None:
            hit.update(range(span.lineno, span.end_lineno + 1))
    return len(hit & nonblank), len(nonblank)


def files(rev: str | None) -> dict[str, str]:
    if rev is None:
        return {str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "lib/relulab").rglob("*.py"))}
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "lib/relulab"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    return {n: subprocess.run(["git", "show", f"{rev}:{n}"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout for n in names if n.endswith(".py")}


def main() -> None:
    for rev in sys.argv[1:] or [None]:
        checks = total = 0
        for name, src in files(rev).items():
            c, t = checking_lines(src, name.endswith("relulab/check.py"))
            checks, total = checks + c, total + t
        print(f"{rev or 'working tree'}: {total} non-blank lines, {checks} checking ({100 * checks / total:.1f} %)")


if __name__ == "__main__":
    main()
