"""relulab: the small shared library of *Paths and Gates*, a verified companion to four papers on deep ReLU nets.

Modules are named after ideas: ``nets``, ``paths``, ``regions`` (exact pieces and regions), ``pwl`` (piecewise-linear
functions compiled into ReLU nets), ``erm`` (exact training of one hidden layer), ``projection`` (Tian's expansion
onto the teacher's graph, Batch Norm as a projection), ``claims`` (the ledger), ``data``, ``train``, ``plots``, ``runtime``.
"""

from . import claims, data, erm, nets, paths, plots, projection, pwl, regions, runtime, train
from .claims import verify
from .runtime import setup

__version__ = "0.1.0"
__all__ = [
    "claims", "data", "erm", "nets", "paths", "plots", "projection", "pwl", "regions", "runtime", "setup", "train", "verify",
]
