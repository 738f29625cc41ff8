"""relulab: the small shared library of *Paths and Gates*, a verified companion to four papers on deep ReLU nets.

Modules are named after ideas: ``nets``, ``paths``, ``claims``, ``data``, ``train``, ``plots``, ``runtime``
(and, as the parts land, ``regions``, ``erm``, ``projection``).
"""

from . import claims, data, nets, paths, plots, runtime, train
from .claims import verify
from .runtime import setup

__version__ = "0.1.0"
__all__ = ["claims", "data", "nets", "paths", "plots", "runtime", "setup", "train", "verify"]
