"""Sums of products without BLAS, so that a run is the same on every machine.

numpy's ``@`` hands dot products to the BLAS library, and OpenBLAS picks its kernel by CPU
model: with or without fused multiply-add, adding in another order. The last bit of a dot
product then differs from one machine to the next, and the model is chaotic: a last bit
becomes another path within a few simulated years. These helpers use numpy's own
element-wise product and pairwise sum, whose order of operations is fixed by numpy's code,
not by the CPU, so the same seed gives the same run under any BLAS kernel (docs/model.md,
section 6.4).
"""

from __future__ import annotations

import math

import numpy as np


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """The sum of ``a * b`` (1-D arrays of one length), correctly rounded: the same whatever
    the order of the terms and however many zeros pad them."""
    return math.fsum(np.multiply(a, b).tolist())


def norm(a: np.ndarray) -> float:
    """The Euclidean length of ``a``."""
    return math.sqrt(dot(a, a))


def gram(rows: np.ndarray) -> np.ndarray:
    """The matrix of dot products of every pair of ``rows`` (``rows @ rows.T``)."""
    return np.add.reduce(rows[:, None, :] * rows[None, :, :], axis=2)
