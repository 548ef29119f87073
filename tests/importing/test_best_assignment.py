"""The column assignment solver against scipy's linear_sum_assignment: same totals, a valid one-to-one matching."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from core.importing.best_assignment import best_assignment


def _matrices() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for t in range(600):
        rows, cols = (int(x) for x in rng.integers(1, 14, 2))
        if t % 3 == 0:
            out.append(rng.random((rows, cols)) * 100)  # distinct scores
        elif t % 3 == 1:
            out.append(rng.integers(0, 4, (rows, cols)).astype(float))  # many ties
        else:  # mostly zero, like a score matrix after the threshold
            out.append(np.where(rng.random((rows, cols)) < 0.75, 0.0, rng.random((rows, cols)) * 100))
    return out


@pytest.mark.parametrize("chunk", range(6))
def test_the_total_equals_scipys_on_random_tied_and_rectangular_matrices(chunk: int) -> None:
    for w in _matrices()[chunk::6]:
        rows, cols = linear_sum_assignment(w, maximize=True)
        pairs = best_assignment(w)
        assert len(pairs) == min(w.shape)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        assert sum(w[i, j] for i, j in pairs) == pytest.approx(float(w[rows, cols].sum()), abs=1e-9)


def test_a_strong_column_does_not_steal_a_field_from_a_better_pair() -> None:
    # greedy best-first would give column 0 field 0 (90) and leave column 1 with 10: total 100 < 80 + 85
    w = np.array([[90.0, 80.0], [85.0, 10.0]])
    assert best_assignment(w) == [(0, 1), (1, 0)]


def test_a_wide_indicator_sheet_is_assigned_in_full() -> None:
    w = np.random.default_rng(3).random((2189, 25)) * 100
    pairs = best_assignment(w)
    rows, cols = linear_sum_assignment(w, maximize=True)
    assert len(pairs) == 25
    assert sum(w[i, j] for i, j in pairs) == pytest.approx(float(w[rows, cols].sum()))


def test_empty_and_non_finite_input() -> None:
    assert best_assignment(np.zeros((0, 5))) == []
    with pytest.raises(ValueError):
        best_assignment(np.array([[1.0, np.inf]]))
