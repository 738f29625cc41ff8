"""Cost of path-norms and path-magnitude scores against plain passes and against the authors' code, in one run.

    python bench/bench_pathnorm.py

On a ResNet-18 written like torchvision's (basic blocks whose ``forward`` adds the shortcut; 11.7M parameters),
float64, 3x224x224 input, batch of one, one thread.  Every timed function runs once per round and the rounds are
interleaved, so that a load change on the machine hits all of them alike; the best of the rounds is kept.
The authors' ``compute_path_norm`` (github:agonon/pathnorm-pytorch) is loaded from outside the repository
(bench/authors.py); without it that ratio is skipped with the reason.
"""

from __future__ import annotations

import time

import torch

from relulab.nets.classic import resnet
from relulab.paths.lifting import path_magnitude_scores, path_norm

import authors  # bench/authors.py (bench/ is on sys.path when a bench runs)

TARGETS = {"forward": 1.5, "authors": 0.5, "scores": 1.5}


def interleaved(fns: dict, rounds: int = 3) -> dict[str, float]:
    """Best wall time of each function over `rounds` interleaved rounds, in seconds."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def main() -> None:
    """Print path_norm / forward, path_norm / authors and path_magnitude_scores / (forward + backward)."""
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    model = resnet(18, seed=0)
    shape = (3, 224, 224)
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(0))
    pn = authors.load()

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def forward_backward() -> None:
        model.zero_grad()
        model(x).sum().backward()
        model.zero_grad(set_to_none=True)

    fns = {"forward": forward, "forward+backward": forward_backward, "path_norm": lambda: path_norm(model, shape),
           "path_magnitude_scores": lambda: path_magnitude_scores(model, shape)}
    if pn is not None:
        fns["authors"] = lambda: pn.compute_path_norm(model, shape)
    t = interleaved(fns)
    n = sum(p.numel() for p in model.parameters())
    print(f"ResNet-18 with torchvision-style blocks ({n / 1e6:.1f}M parameters), float64, input {shape}, batch 1")
    print(f"forward {t['forward'] * 1e3:.0f} ms, forward+backward {t['forward+backward'] * 1e3:.0f} ms, "
          f"path_norm {t['path_norm'] * 1e3:.0f} ms, path_magnitude_scores {t['path_magnitude_scores'] * 1e3:.0f} ms")
    r = t["path_norm"] / t["forward"]
    print(f"path_norm / fp64 forward = {r:.2f}x (target <= {TARGETS['forward']})")
    if pn is None:
        print(f"path_norm / authors' compute_path_norm: skipped ({authors.WHY_MISSING})")
    else:
        a, b = path_norm(model, shape), pn.compute_path_norm(model, shape)
        r = t["path_norm"] / t["authors"]
        print(f"path_norm / authors' compute_path_norm = {r:.2f}x (target <= {TARGETS['authors']}; "
              f"{t['authors'] * 1e3:.0f} ms; values {a:.6e} vs {b:.6e}, relative gap {abs(a - b) / b:.1e})")
    r = t["path_magnitude_scores"] / t["forward+backward"]
    print(f"path_magnitude_scores / fp64 forward+backward = {r:.2f}x (target <= {TARGETS['scores']})")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    main()
