"""Paths of ReLU networks, one file per idea.

- ``sequential``/``enumeration``/``path_kernel``/``tangent_kernel``: fully connected nets — gates, NPF/NPV by explicit enumeration (the
  reference), the NPK from gate overlaps and kernel regression with it, empirical and path NTKs (Part IV).
- ``gated``: kernels of deep gated networks — their NPK, the value/feature split of the NTK (soft gates), the
  expectation constant of the value NTK at random initialisation (Part IV).
- ``lifting``: the path-lifting of any supported ReLU DAG — path-norms and path-metrics in one or two forward passes,
  path-magnitude scores, support reports, rescaling symmetries (Part III).  It reads any model through its
  ``forward`` (``graph``: torch.fx tracing and classification; ``operands``: a step's inputs at run time), runs the |theta| pass (``abs_pass``) on maps stored
  once per distinct window (``tiles``).
- ``dag``: explicit path enumeration of small DAGs, the exponential reference for ``lifting``.
- ``pair_pass``: the NPK as one forward pass of the all-ones net on x*x' with gates G_x*G_x' (Part V).
"""

from .lifting import (
    SupportReport,
    check_supported,
    global_prune,
    lifted_output,
    magnitude_scores,
    path_magnitude_scores,
    path_metric,
    path_metric_bound,
    path_norm,
    random_rescaling,
    support_report,
)
from .enumeration import count_paths, enumerate_paths, npf, npv, npv_from_weights, output_from_paths
from .path_kernel import npk, npk_from_gates, npk_regression
from .pair_pass import npk_pair_gram, npk_pair_pass, pair_forward
from .tangent_kernel import ntk, path_ntk
from .sequential import as_input, gates, linear_layers, preactivations

__all__ = [
    "SupportReport",
    "check_supported",
    "global_prune",
    "lifted_output",
    "magnitude_scores",
    "path_magnitude_scores",
    "path_metric",
    "path_metric_bound",
    "path_norm",
    "random_rescaling",
    "support_report",
    "as_input",
    "count_paths",
    "enumerate_paths",
    "gates",
    "linear_layers",
    "npf",
    "npk",
    "npk_from_gates",
    "npk_regression",
    "npk_pair_gram",
    "npk_pair_pass",
    "pair_forward",
    "ntk",
    "npv",
    "npv_from_weights",
    "output_from_paths",
    "path_ntk",
    "preactivations",
]
