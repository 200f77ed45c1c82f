"""The model's sums of products (``core/arithmetic.py``) and the summary's HP filter compute
what numpy's BLAS-backed ``@`` and LAPACK solve would, to rounding, without them (so that a
run does not depend on the BLAS kernel: tests/test_reference.py checks that)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neocloud_abm.core.arithmetic import dot, gram, norm
from neocloud_abm.outputs.summary import HP_LAMBDA, autocorrelation, hp_trend


@pytest.mark.parametrize("size", [0, 1, 5, 8, 9, 300])
def test_dot_and_norm_are_the_sums_of_products(size):
    rng = np.random.default_rng(size)
    a, b = rng.normal(size=size) * 1e6, rng.normal(size=size)
    exact = math.fsum(x * y for x, y in zip(a.tolist(), b.tolist(), strict=True))
    assert dot(a, b) == pytest.approx(exact, rel=1e-12, abs=1e-6)
    assert norm(a) == pytest.approx(math.sqrt(math.fsum(x * x for x in a.tolist())), rel=1e-12)
    assert isinstance(dot(a, b), float)


def test_gram_is_the_matrix_of_pairwise_dot_products():
    rows = np.random.default_rng(1).random((4, 7))
    expected = [[math.fsum(x * y for x, y in zip(r, s, strict=True)) for s in rows] for r in rows]
    np.testing.assert_allclose(gram(rows), expected, rtol=1e-13)


@pytest.mark.parametrize("size", [3, 4, 5, 6, 50, 240])
def test_the_hp_trend_solves_the_penalised_least_squares_system(size):
    """(I + lambda D'D) trend = y with D the second-difference matrix, as a dense solve
    gives it (the system's condition number, about 16 lambda, bounds the agreement)."""
    y = np.random.default_rng(size).normal(size=size).cumsum()
    second = np.diff(np.eye(size), n=2, axis=0)
    dense = np.linalg.solve(np.eye(size) + HP_LAMBDA * second.T @ second, y)
    np.testing.assert_allclose(hp_trend(y), dense, atol=1e-8 * np.abs(y).max())


def test_autocorrelation_is_pearsons_of_the_lagged_series():
    x = np.random.default_rng(3).normal(size=200).cumsum()
    assert autocorrelation(x) == pytest.approx(np.corrcoef(x[:-1], x[1:])[0, 1], rel=1e-12)
