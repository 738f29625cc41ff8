"""Tian (2018): a student expanded onto its teacher's graph, and Batch Norm's backward pass as a projection.

One file per idea:

- ``marginals``: event tables and edge statistics (Table 3), the conditions' measures;
- ``student``: a locally connected student measured on a teacher's events (F, D, G, P, Pb, Lambda);
- ``edge_conditions``: focus, broadness and decorrelation of Theorem 2 on every edge;
- ``reformulation``: Theorem 4's forward, backward and weight-update steps;
- ``batchnorm``: Theorem 5, BN's backward pass as a projection;
- ``beta``: the per-sample beta-expansion of the follow-up papers;
- ``convex_hull``: convex-hull vertices and Theorem 6's separating construction (linear programs);
- ``disentangle``: tensor products and disentangled columns (Lemma 1, Theorems 8-9).
"""

from .batchnorm import bn_backward, bn_projector
from .beta import BetaExpansion, beta_expansion
from .edge_conditions import Conditions, conditions
from .disentangle import disentanglement_residual, kron
from .marginals import EdgeStatistics, conditional_covariance, conditional_mean, event_statistics, independence_gap
from .reformulation import reformulated_backward, reformulated_forward, weight_update
from .student import StudentTables, marginal_tables
from .convex_hull import is_vertex, separating_weights, vertices

__all__ = [
    "BetaExpansion", "Conditions", "EdgeStatistics", "StudentTables", "beta_expansion", "bn_backward", "bn_projector",
    "conditional_covariance", "conditional_mean", "conditions", "disentanglement_residual", "event_statistics",
    "independence_gap", "is_vertex", "kron", "marginal_tables", "reformulated_backward", "reformulated_forward",
    "separating_weights", "vertices", "weight_update",
]
