"""Stability monitors run during training: certificates, eigenvalues of A and W, LE spectra.

Each monitor reads the current weights of ``model.body`` (the recurrent map) and returns
JSON-able numbers for the epoch's history row plus the full result object:

* ``certificate`` — :func:`neurodyn.contraction.certify` of the body (Kozachkov et al. 2022,
  Theorems 1–5 and the Sparse-Combo-Net assembly of Sec. 3; Erichson et al. 2021 for the
  Lipschitz RNN). Row keys: ``cert_applicable``, ``cert_holds``, ``cert_proven``, ``cert_kind``,
  ``cert_name``, ``cert_margin``, ``cert_proofs`` (names of the proofs that hold); where
  ``certify`` does not support the body (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``, coRNN, LEM,
  antisymmetric RNN) ``cert_applicable`` is False and ``cert_reason`` says why.
* ``spectra`` — for a Lipschitz RNN (a body with matrices ``A`` and ``W``, Erichson et al.
  2021, eq. 1 and 9): ``A_max_re`` = max Re λ(A) and ``W_max_re`` = max Re λ(W). Prop. 2 of
  the paper bounds Re λ(A_{β,γ}) ≤ (1 − β)·λ_max(M + Mᵀ) − γ, so these show how training moves
  the spectra the parametrization is meant to control.
* ``lyapunov`` — :func:`neurodyn.lyapunov_spectrum` of the body driven by held-out sequences
  (Vogt, dissertation, Alg. 2; the spectrum over training as in Ch. 2, Fig. 2.7–2.8):
  ``le_max``, ``le_mean``, ``le_kaplan_yorke``, ``le_stderr`` (of λ₁), ``le_exponents`` and
  ``le_stderrs`` (lists of k), ``le_k``, ``le_sequences``. These are finite-time exponents over
  the task's T steps (warm-up ``lyapunov_warmup``), in nats per step.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "Monitors",
    "certificate_row",
    "lyapunov_row",
    "resolve_monitors",
    "run_monitors",
    "spectra_row",
]


def _every(v, name):
    if v is None or v == 0:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"Monitors: {name} must be a positive integer or None (off), got {v!r}.")
    return v


@dataclass(frozen=True)
class Monitors:
    """Which stability monitors run, and how often (epochs; None or 0 switches one off).

    Every monitor runs at epoch 0 (the initial model) and at every epoch divisible by its
    period, and always at the last epoch.

    Args:
        certificate_every: contraction certificates of the body (default every epoch).
        spectra_every: max Re λ of A and W (Lipschitz RNN only; default every epoch).
        lyapunov_every: the LE spectrum on held-out sequences (default every 5 epochs).
        lyapunov_k: exponents computed (default 8; at most the state dimension). 10 or fewer
            keep it cheap: the cost grows like k² per step.
        lyapunov_sequences: validation sequences driving it (default 32).
        lyapunov_warmup: steps before accumulating (default 0: the whole sequence).
        lmi: ``certify``'s metric search: "auto" (diagonal, and full for n ≤ 64), "diagonal"
            (cheaper) or "none" (no LMI; norm conditions only).
    """

    certificate_every: int | None = 1
    spectra_every: int | None = 1
    lyapunov_every: int | None = 5
    lyapunov_k: int = 8
    lyapunov_sequences: int = 32
    lyapunov_warmup: int = 0
    lmi: str = "auto"

    def __post_init__(self):
        for name in ("certificate_every", "spectra_every", "lyapunov_every"):
            object.__setattr__(self, name, _every(getattr(self, name), name))
        for name in ("lyapunov_k", "lyapunov_sequences"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Monitors: {name} must be a positive integer, got {v!r}.")
        if not isinstance(self.lyapunov_warmup, int) or self.lyapunov_warmup < 0:
            raise ValueError(
                f"Monitors: lyapunov_warmup must be an integer ≥ 0, got {self.lyapunov_warmup!r}."
            )
        if self.lmi not in ("auto", "diagonal", "full", "none"):
            raise ValueError(
                f"Monitors: lmi must be 'auto', 'diagonal', 'full' or 'none', got {self.lmi!r}."
            )

    def to_dict(self) -> dict:
        return asdict(self)

    def due(self, name: str, epoch: int, last: int) -> bool:
        """Whether monitor ``name`` ("certificate", "spectra", "lyapunov") runs at ``epoch``."""
        every = getattr(self, f"{name}_every")
        return every is not None and (epoch == 0 or epoch == last or epoch % every == 0)


def resolve_monitors(monitors) -> Monitors | None:
    """``"default"`` → :class:`Monitors`\\ (); a dict → ``Monitors(**dict)``; None / False /
    ``"none"`` → no monitors; a :class:`Monitors` is kept.

    Which monitors apply is decided per model when they run: certificates only where
    ``certify`` supports the body, A/W spectra only for a Lipschitz RNN, LE spectra for every
    recurrent body.
    """
    if monitors is None or monitors is False or monitors == "none":
        return None
    if isinstance(monitors, Monitors):
        return monitors
    if monitors == "default":
        return Monitors()
    if isinstance(monitors, dict):
        return Monitors(**monitors)
    raise ValueError(
        f"monitors must be 'default', None, a dict of Monitors options or a Monitors, got "
        f"{monitors!r}."
    )


def _fl(v) -> float:
    return float(v)


def certificate_row(body: nn.Module, lmi: str = "auto"):
    """``(row, report)``: the certificate summary of ``body`` and its ``CertificateReport``.

    The summary is the best certificate that holds, preferring a proof, then a sampled check,
    then a heuristic (the paper's condition, never a guarantee); where none holds, the proof
    closest to holding (largest finite margin). ``report`` is None when not applicable.
    """
    from neurodyn.contraction import certify

    try:
        with torch.no_grad():
            rep = certify(body, lmi=lmi)
    except TypeError as err:
        reason = str(err).split(" Supported:")[0]
        return {"cert_applicable": False, "cert_reason": reason}, None
    certs = list(rep)
    row = {"cert_applicable": True}
    best = None
    for kind in ("proof", "sampled", "heuristic"):
        held = [c for c in certs if c.holds and c.kind == kind]
        if held:
            best = max(held, key=lambda c: c.margin)
            break
    if best is None:
        proofs = [c for c in certs if c.kind == "proof" and math.isfinite(c.margin)]
        best = max(proofs, key=lambda c: c.margin) if proofs else certs[0]
    row.update(
        cert_holds=bool(best.holds),
        cert_proven=any(c.proven for c in certs),
        cert_kind=best.kind,
        cert_name=best.name,
        cert_margin=_fl(best.margin),
        cert_proofs=[c.name for c in certs if c.proven],
    )
    return row, rep


def spectra_row(body: nn.Module) -> dict | None:
    """``{"A_max_re", "W_max_re"}`` for a body with ``A`` and ``W`` (Lipschitz RNN), else None."""
    if not (isinstance(getattr(body, "A", None), Tensor) and isinstance(body.W, Tensor)):
        return None
    with torch.no_grad():
        out = {}
        for name in ("A", "W"):
            M = getattr(body, name).detach().double().cpu()
            out[f"{name}_max_re"] = _fl(torch.linalg.eigvals(M).real.max())
    return out


def lyapunov_row(body: nn.Module, x: Tensor, *, k: int = 8, warmup: int = 0):
    """``(row, result)``: the LE spectrum of ``body`` driven by ``x`` (B, T, F), batch first.

    k is capped at the state dimension. A diverging spectrum (NaN/inf state), or weights that
    became NaN/inf (refused by the spectrum's input check), is recorded as ``le_error`` instead
    of stopping training: the monitor reports, the trainer decides.
    """
    import neurodyn
    from neurodyn.errors import DivergenceError, InputError

    k = min(int(k), int(neurodyn.as_map(body).dim))
    was = body.training
    body.eval()
    try:
        with torch.no_grad():
            res = neurodyn.lyapunov_spectrum(body, inputs=x, k=k, warmup=warmup, batch_first=True)
    except (DivergenceError, InputError) as err:
        return {"le_error": " ".join(str(err).split())}, None
    finally:
        body.train(was)
    st = res.stats()
    row = {
        "le_max": _fl(st["max"]),
        "le_mean": _fl(st["mean"]),
        "le_kaplan_yorke": _fl(st["kaplan_yorke"]),
        "le_stderr": _fl(res.stderr[0]),
        "le_exponents": [float(v) for v in res.exponents.tolist()],
        "le_stderrs": [float(v) for v in res.stderr.tolist()],
        "le_k": int(res.k),
        "le_sequences": int(x.shape[0]),
    }
    return row, res


def run_monitors(mon: Monitors | None, model: nn.Module, epoch: int, last: int, x_held: Tensor):
    """Run the due monitors on ``model.body``; returns ``(row, objects)``.

    ``row`` holds the JSON-able numbers (plus ``monitor_seconds``), ``objects`` the
    ``CertificateReport`` (key ``"certificate"``) and ``LyapunovResult`` (``"lyapunov"``).
    """
    if mon is None:
        return {}, {}
    body = getattr(model, "body", model)
    t0 = time.perf_counter()
    row: dict = {}
    objs: dict = {}
    if mon.due("certificate", epoch, last):
        r, rep = certificate_row(body, mon.lmi)
        row.update(r)
        if rep is not None:
            objs["certificate"] = rep
    if mon.due("spectra", epoch, last):
        r = spectra_row(body)
        if r is not None:
            row.update(r)
    if mon.due("lyapunov", epoch, last):
        r, res = lyapunov_row(
            body, x_held[: mon.lyapunov_sequences], k=mon.lyapunov_k, warmup=mon.lyapunov_warmup
        )
        row.update(r)
        if res is not None:
            objs["lyapunov"] = res
    if row:
        row["monitor_seconds"] = time.perf_counter() - t0
    return row, objs
