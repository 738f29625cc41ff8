"""Paths of ReLU networks: explicit enumeration (the reference), gates, NPF/NPV, the NPK and NTKs."""

from .enumeration import count_paths, enumerate_paths, npf, npv, npv_from_weights, output_from_paths
from .npk import npk, npk_from_gates
from .ntk import ntk, path_ntk
from .sequential import as_input, gates, linear_layers, preactivations

__all__ = [
    "as_input",
    "count_paths",
    "enumerate_paths",
    "gates",
    "linear_layers",
    "npf",
    "npk",
    "npk_from_gates",
    "ntk",
    "npv",
    "npv_from_weights",
    "output_from_paths",
    "path_ntk",
    "preactivations",
]
