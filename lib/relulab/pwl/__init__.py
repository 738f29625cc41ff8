"""Compile piecewise-linear functions into ReLU nets (the constructive half of Arora et al., 2018, Section 2).

A net is kept as a list of affine maps ``[(W_1, b_1), ..., (W_{k+1}, b_{k+1})]`` with a ReLU between consecutive maps
(k hidden layers), so that composition (Lemma D.1), sums (Lemma D.2), the max of q numbers (Lemma D.4), the
Wang-Sun representation (Theorem 2.1) and the one-hidden-layer construction for R -> R (Theorem 2.2, Corollary A.1)
are a few lines of matrix algebra; :meth:`PWLNet.to_torch` turns the result into a plain ``nn.Sequential``.
The hard functions of Section 3 (zig-zag compositions, zonotopes) are built the same way.

One idea per module: ``net`` (the PWLNet and Lemmas D.1-D.2), ``max_nets`` (Lemma D.4, Theorem 2.1), ``one_d``
(Theorem 2.2), ``zigzags`` (Theorem 3.2's hard functions) and ``zonotope`` (Section 3.2).
"""

from .max_nets import max_affine, max_net, wang_sun
from .net import PWLNet, affine, compose, from_sequential, identity, linear_combination, pad, parallel
from .one_d import pwl_1d, pwl_1d_fewest, pwl_eval, pwl_from_points
from .zigzags import (
    random_simplex_point,
    zigzag,
    zigzag_coefficients,
    zigzag_composition_net,
    zigzag_net,
    zigzag_parameters_from_breakpoints,
)
from .zonotope import count_zonotope_vertices, zonotope_net, zonotope_support, zonotope_support_net, zonotope_vertices

__all__ = [
    "PWLNet", "affine", "compose", "count_zonotope_vertices", "from_sequential", "identity", "linear_combination",
    "max_affine", "max_net", "pad", "parallel", "pwl_1d", "pwl_1d_fewest", "pwl_eval", "pwl_from_points",
    "random_simplex_point", "wang_sun", "zigzag", "zigzag_coefficients", "zigzag_composition_net", "zigzag_net",
    "zigzag_parameters_from_breakpoints", "zonotope_net", "zonotope_support", "zonotope_support_net",
    "zonotope_vertices",
]
