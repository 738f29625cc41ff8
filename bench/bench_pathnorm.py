"""Cost of path-norms and path-magnitude scores as multiples of plain forward / forward+backward passes (float64).

    python bench/bench_pathnorm.py
On the ResNet-18-sized net of relulab.nets.dag (11.7M parameters, 3x224x224 input, batch of one).
"""

from __future__ import annotations


import torch

from relulab.nets.dag import resnet18
from relulab.paths.lifting import path_magnitude_scores, path_norm

from timing import best_time  # bench/timing.py (bench/ is on sys.path when a bench runs)




def main() -> None:
    """Print path_norm / forward and path_magnitude_scores / (forward + backward) on a ResNet-18-sized model."""
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    model = resnet18(seed=0)
    shape = (3, 224, 224)
    x = torch.randn(1, *shape)

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def forward_backward() -> None:
        model.zero_grad()
        model(x).sum().backward()

    t_fwd = best_time(forward)
    t_fb = best_time(forward_backward)
    t_pn = best_time(lambda: path_norm(model, shape))
    t_pm = best_time(lambda: path_magnitude_scores(model, shape))
    n = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, float64, 1 thread, ResNet-18-sized net ({n / 1e6:.1f}M parameters), input {shape}")
    print(f"forward {t_fwd * 1e3:.0f} ms; path_norm {t_pn * 1e3:.0f} ms -> {t_pn / t_fwd:.2f}x a forward pass")
    print(f"forward+backward {t_fb * 1e3:.0f} ms; path_magnitude_scores {t_pm * 1e3:.0f} ms -> {t_pm / t_fb:.2f}x")


if __name__ == "__main__":
    main()
