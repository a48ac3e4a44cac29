"""Chebyshev-centre LPs over a growing stack of half-spaces inside a box (HiGHS).

One HiGHS model follows the depth-first enumeration: rows are pushed when it descends into a
child polytope and popped when it returns, so each feasibility test is one row added to a warm
basis (~0.1–0.2 ms) instead of a model built from scratch (~1.5 ms through ``linprog``). The
variables are (x, r); a row hᵀx ≤ c with ‖h‖ = 1 enters as hᵀx + r ≤ c, the box as
x_k + r ≤ high_k and −x_k + r ≤ −low_k, and the LP maximises r: its optimum is the radius of the
largest ball inside the polytope (negative when the polytope is empty), its x that ball's centre.

Uses ``highspy`` when it is installed (``pip install neurodyn[regions]``), else
``scipy.optimize.linprog(method="highs")`` on the same rows (the same HiGHS, rebuilt per LP).
"""

from __future__ import annotations

import numpy as np

try:  # the base class: highspy.Highs() itself prints a banner on first construction
    from highspy import _core as _highs_core

    _HIGHS = getattr(_highs_core, "_Highs", None)
    _INF = float(_highs_core.kHighsInf)
except ImportError:  # pragma: no cover - exercised only without highspy
    _HIGHS = None
    _INF = float("inf")

__all__ = ["ChebyshevLP"]


class ChebyshevLP:
    """A stack of normalised half-spaces in a box, with the Chebyshev LP of their intersection."""

    def __init__(self, low: np.ndarray, high: np.ndarray, *, use_highspy: bool = True) -> None:
        self.n = n = low.shape[0]
        self.low, self.high = low, high
        self.cap = float(np.min(high - low)) / 2
        self.rows: list[np.ndarray] = []
        self.rhs: list[float] = []
        self.solves = 0
        self._h = None
        self._idx = np.arange(n + 1, dtype=np.int32)
        self._buf = np.ones(n + 1)
        if use_highspy and _HIGHS is not None:
            h = _HIGHS()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("presolve", "off")
            h.setOptionValue("solver", "simplex")
            h.setOptionValue(
                "simplex_strategy", 1
            )  # dual: an added row keeps the basis dual feasible
            cols = n + 1
            h.addVars(cols, np.full(cols, -_INF), np.append(np.full(n, _INF), self.cap))
            cost = np.zeros(cols)
            cost[n] = -1.0
            h.changeColsCost(cols, np.arange(cols, dtype=np.int32), cost)
            for k in range(n):
                idx = np.array([k, n], dtype=np.int32)
                h.addRow(-_INF, float(high[k]), 2, idx, np.array([1.0, 1.0]))
                h.addRow(-_INF, float(-low[k]), 2, idx, np.array([-1.0, 1.0]))
            self._h = h
            self._base = 2 * n

    def push(self, row: np.ndarray, rhs: float) -> None:
        """Add hᵀx ≤ c; ``row`` must have unit norm."""
        self.rows.append(row)
        self.rhs.append(rhs)
        if self._h is not None:
            self._buf[: self.n] = row
            self._h.addRow(-_INF, float(rhs), self.n + 1, self._idx, self._buf)

    def pop(self, count: int = 1) -> None:
        """Remove the last ``count`` rows."""
        if count <= 0:
            return
        del self.rows[-count:]
        del self.rhs[-count:]
        if self._h is not None:
            total = self._base + len(self.rows) + count
            self._h.deleteRows(count, np.arange(total - count, total, dtype=np.int32))

    def reset(self, rows: list[np.ndarray], rhs: list[float]) -> None:
        """Replace the stack by ``rows``."""
        self.pop(len(self.rows))
        for r, c in zip(rows, rhs, strict=True):
            self.push(r, c)

    def chebyshev(self) -> tuple[np.ndarray, float]:
        """(centre, radius) of the largest ball in the current polytope ∩ box."""
        self.solves += 1
        if self._h is not None:
            h = self._h
            h.run()
            status = h.getModelStatus()
            if str(status).endswith("kOptimal"):
                sol = np.asarray(h.getSolution().col_value)
                return sol[: self.n], float(sol[self.n])
            # rare: a stalled warm start; rebuild from scratch once
            h.clearSolver()
            h.run()
            if str(h.getModelStatus()).endswith("kOptimal"):
                sol = np.asarray(h.getSolution().col_value)
                return sol[: self.n], float(sol[self.n])
        return self._linprog()

    def extremes(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) of each coordinate over the current polytope ∩ box (2n LPs)."""
        n = self.n
        lo, hi = self.low.copy(), self.high.copy()
        if self._h is None:
            from scipy.optimize import linprog

            rows = np.asarray(self.rows).reshape(-1, n)
            for k in range(n):
                for sign in (1.0, -1.0):
                    cost = np.zeros(n)
                    cost[k] = sign
                    res = linprog(
                        cost,
                        A_ub=rows if rows.shape[0] else None,
                        b_ub=np.asarray(self.rhs) if rows.shape[0] else None,
                        bounds=list(zip(self.low, self.high, strict=True)),
                        method="highs",
                    )
                    self.solves += 1
                    if res.status == 0:
                        (lo if sign > 0 else hi)[k] = res.x[k]
            return lo, hi
        h = self._h
        allcols = np.arange(n + 1, dtype=np.int32)
        h.changeColBounds(n, 0.0, 0.0)
        for k in range(n):
            for sign in (1.0, -1.0):
                cost = np.zeros(n + 1)
                cost[k] = sign
                h.changeColsCost(n + 1, allcols, cost)
                h.run()
                self.solves += 1
                if str(h.getModelStatus()).endswith("kOptimal"):
                    (lo if sign > 0 else hi)[k] = h.getSolution().col_value[k]
        cost = np.zeros(n + 1)
        cost[n] = -1.0
        h.changeColsCost(n + 1, allcols, cost)
        h.changeColBounds(n, -_INF, self.cap)
        return lo, hi

    def _linprog(self) -> tuple[np.ndarray, float]:
        from scipy.optimize import linprog

        n = self.n
        eye = np.eye(n)
        rows = [np.hstack([eye, np.ones((n, 1))]), np.hstack([-eye, np.ones((n, 1))])]
        rhs = [self.high, -self.low]
        if self.rows:
            rows.append(np.hstack([np.asarray(self.rows), np.ones((len(self.rows), 1))]))
            rhs.append(np.asarray(self.rhs))
        cost = np.zeros(n + 1)
        cost[n] = -1.0
        res = linprog(
            cost,
            A_ub=np.vstack(rows),
            b_ub=np.concatenate(rhs),
            bounds=[(None, None)] * n + [(None, self.cap)],
            method="highs",
        )
        if res.status != 0:  # unbounded below cannot happen (r ≤ cap); treat as empty
            return np.full(n, np.nan), -np.inf
        return res.x[:n], float(res.x[n])
