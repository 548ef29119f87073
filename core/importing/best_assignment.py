"""The assignment of columns to fields with the highest total score (the linear sum assignment problem).

``scipy.optimize.linear_sum_assignment`` solves it, but importing ``scipy.optimize`` costs 0.5–0.8 s per
process here, more than the whole mapping of a 100,000-row file and about a tenth of a command-line import.
Score matrices are small (columns × the twenty-odd fields of one kind; at most a few thousand columns), so
the same shortest-augmenting-path method (Jonker–Volgenant as described by Crouse, 2016, which scipy
implements in C) is written here over numpy rows: one vectorised pass per column scanned. Tests hold its
totals to scipy's on random, tied and rectangular matrices.
"""
from __future__ import annotations

import numpy as np


def best_assignment(weights: np.ndarray) -> list[tuple[int, int]]:
    """(row, column) pairs, each row and column at most once, min(rows, columns) of them, maximising the sum."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or 0 in w.shape:
        return []
    if not np.isfinite(w).all():
        raise ValueError("assignment weights must be finite")
    transposed = w.shape[0] > w.shape[1]
    cost = w.T if transposed else w
    cost = cost.max() - cost  # maximise the weights = minimise what each pair falls short of the best
    col_of_row = _shortest_augmenting_paths(cost)
    pairs = [(int(c), r) if transposed else (r, int(c)) for r, c in enumerate(col_of_row.tolist())]
    return sorted(pairs)


def _shortest_augmenting_paths(cost: np.ndarray) -> np.ndarray:
    """For a rows ≤ columns cost matrix: the column given to each row in a minimum-cost assignment."""
    n_rows, n_cols = cost.shape
    u = np.zeros(n_rows)
    v = np.zeros(n_cols)
    col_of_row = np.full(n_rows, -1)
    row_of_col = np.full(n_cols, -1)
    for start in range(n_rows):
        shortest = np.full(n_cols, np.inf)
        path = np.full(n_cols, -1)
        scanned_cols = np.zeros(n_cols, dtype=bool)
        scanned_rows = np.zeros(n_rows, dtype=bool)
        row, low, sink = start, 0.0, -1
        while sink < 0:
            scanned_rows[row] = True
            reduced = low + cost[row] - u[row] - v
            better = ~scanned_cols & (reduced < shortest)
            path[better] = row
            shortest[better] = reduced[better]
            open_costs = np.where(scanned_cols, np.inf, shortest)
            low = float(open_costs.min())
            ties = np.flatnonzero(open_costs == low)
            free = ties[row_of_col[ties] < 0]
            col = int(free[0] if len(free) else ties[0])  # a free column ends the path: prefer it on a tie
            scanned_cols[col] = True
            if row_of_col[col] < 0:
                sink = col
            else:
                row = int(row_of_col[col])
        u[start] += low
        others = scanned_rows.copy()
        others[start] = False
        u[others] += low - shortest[col_of_row[others]]
        v[scanned_cols] -= low - shortest[scanned_cols]
        col = sink
        while True:  # flip the path's pairs back to its start
            row = int(path[col])
            row_of_col[col] = row
            col_of_row[row], col = col, int(col_of_row[row])
            if row == start:
                break
    return col_of_row
