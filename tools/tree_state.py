"""Check that a step leaves the working tree as it found it (make test wraps the chapters' execution with it).

    python tools/tree_state.py save FILE       # before the step
    python tools/tree_state.py compare FILE    # after it: exit 1, naming the files, if anything changed

The state is `git status` (tracked and untracked files, ignored ones excepted) and a hash of every file it lists, so a
file that was already modified before the step and is rewritten by it is caught too.  On a clean clone this is the
check that executing the book leaves `git status` clean.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def state() -> dict[str, str] | None:
    """{path: "<status> <sha256>"} for every path git reports as changed or untracked; None outside a git checkout."""
    try:
        out = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.CalledProcessError):
        return None
    found = {}
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        e = entries[i]
        i += 1
        if not e:
            continue
        status, path = e[:2], e[3:]
        if status[0] in "RC":  # a rename or copy is followed by its source path
            i += 1
        f = ROOT / path
        digest = hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else "-"
        found[path] = f"{status} {digest}"
    return found


def changed(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The paths whose status or content differ between two states."""
    return sorted(p for p in set(before) | set(now) if before.get(p) != now.get(p))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, file = argv[0], Path(argv[1])
    now = state()
    if now is None:
        print("tree_state: not a git checkout; the clean-tree check is skipped")
        if cmd == "save":
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text("null")
        return 0
    if cmd == "save":
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(now, indent=1, sort_keys=True))
        return 0
    before = json.loads(file.read_text())
    if before is None:
        return 0
    diff = changed(before, now)
    if diff:
        print("the step changed files of the working tree (it must write only under _build/):", file=sys.stderr)
        for p in diff:
            print(f"  {p}: {before.get(p, 'absent')} -> {now.get(p, 'absent')}", file=sys.stderr)
        return 1
    extra = f" (the {len(now)} paths modified or untracked before it are as they were)" if now else ""
    print(f"working tree unchanged by the step{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
