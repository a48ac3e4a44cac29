"""Cases whose numbers were frozen from the code before the TangentMap / FlowMap refactor."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from neurodyn.dynamics import classify_attractor
from neurodyn.lyapunov import covariant_lyapunov_vectors, lyapunov_spectrum
from neurodyn.systems import Henon, LinearMap, Lorenz, Rossler

F64 = torch.float64


def _lstm():
    torch.manual_seed(3)
    return nn.LSTM(2, 3, num_layers=2, batch_first=True).double()


def _inputs(batch, steps, size, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, steps, size, generator=gen, dtype=F64)


def _h0(batch, n, seed, centre=0.0):
    gen = torch.Generator().manual_seed(seed)
    return centre + 0.1 * torch.randn(batch, n, generator=gen, dtype=F64)


def spectrum_cases():
    """name -> LyapunovResult."""
    return {
        "henon": lyapunov_spectrum(
            Henon(), h0=_h0(3, 2, 0), steps=400, warmup=50, keep_history=True
        ),
        "lorenz": lyapunov_spectrum(
            Lorenz(dt=0.01),
            h0=_h0(2, 3, 1, 1.0),
            steps=300,
            warmup=20,
            t_on=5,
            keep_vectors=True,
        ),
        "rossler": lyapunov_spectrum(
            Rossler(dt=0.02), h0=_h0(2, 3, 2, 1.0), steps=250, t_on=3, k=2
        ),
        "linear-b1": lyapunov_spectrum(
            LinearMap(torch.tensor([[0.9, 0.4], [-0.2, 1.1]], dtype=F64)),
            h0=torch.ones(1, 2, dtype=F64),
            steps=200,
            t_on=2,
        ),
        "lstm": lyapunov_spectrum(
            _lstm(), _inputs(3, 80, 2, 4), warmup=10, t_on=4, keep_history=True
        ),
        "lstm-cholesky": lyapunov_spectrum(
            _lstm(), _inputs(2, 40, 2, 5), qr_method="cholesky", q0="identity"
        ),
    }


def clv_cases():
    gen = torch.Generator().manual_seed(6)
    with warnings.catch_warnings():  # the LSTM window is too short to converge (on purpose)
        warnings.simplefilter("ignore", RuntimeWarning)
        return _clv_cases(gen)


def _clv_cases(gen):
    return {
        "henon": covariant_lyapunov_vectors(
            Henon(), h0=_h0(2, 2, 7), steps=30, warmup=20, transient=25, generator=gen
        ),
        "lstm": covariant_lyapunov_vectors(
            _lstm(),
            _inputs(2, 60, 2, 8),
            steps=20,
            warmup=20,
            transient=20,
            generator=torch.Generator().manual_seed(9),
        ),
    }


def attractor_cases():
    return {
        "henon": classify_attractor(
            Henon(), (-0.3, -0.3), (0.3, 0.3), resolution=3, transient=200, window=100
        ),
        "lorenz": classify_attractor(
            Lorenz(dt=0.01),
            (0.5, 0.5, 0.5),
            (1.5, 1.5, 1.5),
            resolution=2,
            transient=300,
            window=100,
        ),
    }


def snapshot():
    """Plain-float numbers of every case (what the frozen test compares)."""
    out = {}
    for name, r in spectrum_cases().items():
        d = {
            "per_sample": r.per_sample.flatten().tolist(),
            "running_last": r.running[-1].tolist(),
            "stderr": r.stderr.tolist(),
            "drift": r.drift.tolist(),
        }
        if r.ftle is not None:
            d["ftle_sum"] = r.ftle.sum(1).flatten().tolist()
        if r.q_vectors is not None:
            d["q_last"] = r.q_vectors[:, -1].flatten().tolist()
        out["spectrum/" + name] = d
    for name, r in clv_cases().items():
        out["clv/" + name] = {
            "exponents": r.exponents.tolist(),
            "forward_exponents": r.forward_exponents.tolist(),
            "v_first": r.vectors[:, 0].flatten().tolist(),
            "v_last": r.vectors[:, -1].flatten().tolist(),
        }
    for name, r in attractor_cases().items():
        e = r.evidence
        out["attractor/" + name] = {
            "kind": r.kind,
            "max_lyapunov": e.get("max_lyapunov"),
            "median_lyapunov": e.get("median_lyapunov"),
        }
    return out
