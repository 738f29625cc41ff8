"""Shared test settings: float64, one thread, hypothesis profile fast enough for `make test`."""

import os

import torch
from hypothesis import HealthCheck, settings

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
settings.register_profile(
    "relulab",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("relulab")
