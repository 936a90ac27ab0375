#!/usr/bin/env python3
"""The rational erf of Sources/Model/FastMath.swift (fastErf): erf(x) ~ x P(x^2) / Q(x^2) on
|x| <= 3.9 (erf(3.9) = 1 - 3.5e-8; beyond it, 1), P of degree 6 and Q of degree 4 in x^2, Q(0) = 1.

Fitted in float64 by linearised least squares (x P - erf Q = 0, divided by the last iteration's Q),
reweighted towards the largest errors (Lawson) so that the fit approaches minimax absolute error;
then evaluated in float32 exactly as the Swift code does (Horner, no fused multiply-add) over
[-6, 6]. Prints the coefficients as float32 and both errors. Needs numpy and scipy."""
import numpy as np
from scipy.special import erf

EDGE, P_DEGREE, Q_DEGREE = 3.9, 6, 4


def fit(p_degree, q_degree, edge, iterations=200):
    x = np.concatenate([np.cos(np.linspace(0, np.pi, 6000)) * edge / 2 + edge / 2, np.linspace(0, edge, 6000)])
    t, f = x * x, erf(x)
    weight, q_last, best = np.ones_like(x), np.ones_like(x), None
    for i in range(iterations):
        a = np.hstack([np.stack([x * t**k for k in range(p_degree + 1)], 1),
                       np.stack([-f * t**k for k in range(1, q_degree + 1)], 1)])
        w = weight / q_last
        solution, *_ = np.linalg.lstsq(a * w[:, None], f * w, rcond=None)
        p, q = solution[:p_degree + 1], np.concatenate([[1], solution[p_degree + 1:]])
        q_values = np.polyval(q[::-1], t)
        error = x * np.polyval(p[::-1], t) / q_values - f
        worst = np.abs(error).max()
        if best is None or worst < best[0]:
            best = (worst, p, q)
        q_last = q_values
        if i > 5:
            weight = weight * (np.abs(error) / worst) ** 0.2 + 1e-15
    return best


def float32_erf(p, q, edge, x):
    """The Swift evaluation, operation for operation, in float32."""
    x, p, q = x.astype(np.float32), p.astype(np.float32), q.astype(np.float32)
    ax = np.minimum(np.abs(x), np.float32(edge))
    t = ax * ax
    pv = np.full_like(t, p[-1])
    for k in range(len(p) - 2, -1, -1):
        pv = pv * t + p[k]
    qv = np.full_like(t, q[-1])
    for k in range(len(q) - 2, -1, -1):
        qv = qv * t + q[k]
    return np.copysign(ax * pv / qv, x)


if __name__ == "__main__":
    worst64, p, q = fit(P_DEGREE, Q_DEGREE, EDGE)
    xs = np.linspace(-6, 6, 2_000_001).astype(np.float32)
    worst32 = np.abs(float32_erf(p, q, EDGE, xs).astype(np.float64) - erf(xs.astype(np.float64))).max()
    print(f"float64 fit: max |error| {worst64:.3g}; float32 evaluation on [-6, 6]: {worst32:.3g}")
    print("P (t^0 first):", ", ".join(repr(float(np.float32(v))) for v in p))
    print("Q (t^0 first):", ", ".join(repr(float(np.float32(v))) for v in q))
