"""relulab: the small shared library of *Paths and Gates*, a verified companion to four papers on deep ReLU nets.

Modules are named after ideas: ``nets``, ``paths``, ``regions`` (exact pieces and regions), ``pwl`` (piecewise-linear
functions compiled into ReLU nets), ``erm`` (exact training of one hidden layer), ``fits`` (best shallow fits found by training), ``projection`` (Tian's expansion
onto the teacher's graph, Batch Norm as a projection), ``claims`` (the ledger and the findings), ``data``, ``train``,
``plots``, ``runtime``, ``book`` (helpers every chapter uses) and ``check`` (argument checks).

API convention (every public function follows it):

- **Argument order**: the model first, then the data (``fn(model, X, ...)``), then options as keywords.
- **Randomness**: a ``seed: int`` keyword (positional only in ``runtime.setup``, whose seed is what it sets); no
  function takes a generator.  Where ``seed=None`` is accepted
  (``nets.fc.mlp`` and the builders of ``nets.dag``, ``nets.local``, ``nets.teacher``), None draws the initial
  weights from torch's global RNG, as torch's own layers do.
- **Returns**: torch tensors in, torch tensors out (``check.tensor`` refuses a numpy array, naming
  ``torch.as_tensor``); scalars as Python ``float``/``int``.  Numpy in and out (array-likes and tensors read by
  ``check.array``) only in these modules: exact geometry in float64 or rationals (``regions`` with ``partition``
  and ``regions_nd``, ``lattice``, ``pwl``, ``erm``), scipy's LPs (``projection.convex_hull``), explicit neuron
  DAGs and their path tables (``paths.dag``), and discrete tables (``data.ladder``, int64; its ``one_hot`` is the
  student's torch input).  Integer codes (``check.codes``: ``data.ladder``, ``projection.marginals``' events) and
  the numbers given to ``plots`` and ``book`` may be any array-like.  A function that returns
  several things returns a frozen dataclass, or a ``NamedTuple`` where the values are naturally unpacked
  (``X, y = teacher_data(...)``, ``m, se = mean_se(...)``), never a bare tuple or a dict of named values; a dict
  is returned only as a mapping (scores or masks by parameter name).  Counting functions are named ``count_*``.
- **Errors**: checked once, at the public boundary, with :mod:`relulab.check`: ``TypeError`` for a wrong type,
  ``ValueError`` for a wrong value, the message naming the argument.  Internal helpers trust their callers.
- **Precision**: float64 by default everywhere (data loaders included), as :func:`relulab.setup` sets it.
"""

from . import book, check, claims, data, erm, fits, nets, paths, plots, projection, prune, pwl, regions, runtime, train
from .claims import finding, verify
from .runtime import setup

__version__ = "0.1.0"
__all__ = [
    "book", "check", "claims", "data", "erm", "finding", "fits", "nets", "paths", "plots", "projection", "prune", "pwl", "regions",
    "runtime", "setup", "train", "verify",
]
