"""Load the authors' ``pathnorm.py`` (github:agonon/pathnorm-pytorch) at run time, never from this repository.

Where it is looked for, in order: ``$PATHNORM_PYTORCH`` (a ``pathnorm.py`` file, or a checkout or bare git
directory holding one), then the mirror that the ``fetch`` tool leaves at
``/work/.mirror/agonon+pathnorm-pytorch/repo``.  :func:`load` returns the module, or None with the reason
(:data:`WHY_MISSING`), so that a bench or a test can skip with a clear message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

MIRROR = Path("/work/.mirror/agonon+pathnorm-pytorch/repo")
WHY_MISSING = ("the authors' pathnorm.py was not found: fetch github:agonon/pathnorm-pytorch, or set "
               "PATHNORM_PYTORCH to its pathnorm.py or to a checkout of it")


def _source() -> tuple[str, str] | None:
    env = os.environ.get("PATHNORM_PYTORCH")
    for place in ([Path(env)] if env else []) + [MIRROR]:
        if place.is_file():
            return place.read_text(encoding="utf-8"), str(place)
        if (place / "pathnorm.py").is_file():
            return (place / "pathnorm.py").read_text(encoding="utf-8"), str(place / "pathnorm.py")
        if place.is_dir():  # a bare git directory: read the file at HEAD
            r = subprocess.run(["git", f"--git-dir={place}", "show", "HEAD:pathnorm.py"], capture_output=True,
                               text=True, check=False)
            if r.returncode == 0:
                return r.stdout, f"{place}:HEAD:pathnorm.py"
    return None


def load() -> types.ModuleType | None:
    """The authors' module (``compute_path_norm`` and friends), or None when it is not on this machine."""
    if "authors_pathnorm" in sys.modules:
        return sys.modules["authors_pathnorm"]
    src = _source()
    if src is None:
        return None
    mod = types.ModuleType("authors_pathnorm")
    mod.__file__ = src[1]
    sys.modules["authors_pathnorm"] = mod  # dataclasses look their module up while the class body runs
    exec(compile(src[0], src[1], "exec"), mod.__dict__)  # noqa: S102 -- the authors' published code, read locally
    return mod
