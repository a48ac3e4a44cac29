"""The per-step gradient tensor ΔV_t of the recurrent matrix, its SVD and its alignment with the
Q-vectors (Vogt, dissertation, §4.3.1, eq. 4.6, 4.9–4.10, 4.15; App. A–C; Fig. 4.1–4.2, B1, C2).

For the tanh RNN of eq. 4.5, a_s = V h_{s−1} + U x_s + b, h_s = tanh(a_s), o_s = readout(h_s),
ΔV_t is the per-sample gradient, with respect to V, of the loss on the prediction after t steps
(App. B: the sequence cut at t, the readout applied to h_t):

    L_t = CE(readout(h_t), y),     ΔV_t = ∂L_t/∂V = Σ_{s=1}^{t} e_s^{(t)} h_{s−1}ᵀ,    (4.6)
    e_s^{(t)} = diag(1 − h_s²) δ_s^{(t)},   δ_t^{(t)} = ∇_{h_t}L_t,   δ_{s−1}^{(t)} = Vᵀ e_s^{(t)}.

One backward sweep s = T..1 carries δ_s^{(t)} for every t ≥ s at once (a (T, H) block per
sequence), so all T tensors cost O(T² H²) per sequence — what T separate backward passes cost,
without building T graphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn._core import register_result, tensor_from_json, tensor_to_json
from neurodyn.aelle._sensitivity import (
    _analysis_copy,
    _body_map,
    _check_batch,
    _per_sample_loss,
    _random_frame,
)
from neurodyn.lyapunov import lyapunov_spectrum

__all__ = [
    "WeightGradient",
    "mean_log_r",
    "participation_ratio",
    "q_index_sets",
    "recurrent_weight_gradient",
    "step_weight_gradients",
]


def participation_ratio(s: Tensor) -> Tensor:
    """P = Σ s_i² / (Σ s_i)² over the last axis (Vogt, dissertation, App. B): 1 for a rank-one
    matrix, 1/n for n equal singular values (the identity in R^{n×n}); NaN where all s are 0.

    (App. B calls values near 1 "low rank"; P is the inverse of the usual participation
    ratio (Σ s)²/Σ s², which counts effective dimensions.)"""
    s = torch.as_tensor(s)
    if s.ndim < 1 or bool((s < 0).any()):
        raise ValueError("s must be singular values (≥ 0) along the last axis.")
    return (s**2).sum(-1) / s.sum(-1) ** 2


def q_index_sets(n: int, size: int = 10, seed: int = 0) -> dict[str, tuple[int, ...]]:
    """The three sets of Fig. 4.1 / C2 (0-based): the first ``size`` Q indices, the last
    ``size``, and ``size`` drawn without replacement from the rest (seeded)."""
    if n < 3 * size:
        raise ValueError(f"need n ≥ 3·size = {3 * size} Q-vectors, got n = {n}.")
    gen = torch.Generator().manual_seed(seed)
    middle = torch.arange(size, n - size)[torch.randperm(n - 2 * size, generator=gen)[:size]]
    return {
        "first": tuple(range(size)),
        "last": tuple(range(n - size, n)),
        "random": tuple(sorted(int(i) for i in middle)),
    }


def _tanh_rnn(model: nn.Module) -> nn.RNN:
    body = getattr(model, "body", None)
    ok = isinstance(body, nn.RNN) and body.mode == "RNN_TANH" and body.num_layers == 1
    if not ok or body.bidirectional or not body.batch_first or body.proj_size:
        raise TypeError(
            "ΔV_t (eq. 4.6) is implemented for the tanh RNN of eq. 4.5: a one-layer, "
            "batch-first, unidirectional torch.nn.RNN(nonlinearity='tanh') body "
            f"(neurodyn.train.build_model('rnn', ...)); got {type(body).__name__}."
        )
    return body


def step_weight_gradients(
    model: nn.Module, x: Tensor, y: Tensor, h0: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """ΔV_t = ∂L_t/∂V for every sequence and every t = 1..T by one backward sweep (module
    docstring), in the model's dtype.

    Args:
        model: a sequence classifier whose body is a one-layer tanh ``nn.RNN``
            (``build_model("rnn", …)``) and whose readout maps h_t to logits.
        x: ``(B, T, F)`` inputs; y: ``(B,)`` labels; h0: ``(B, H)`` initial states (zeros).

    Returns:
        ``(loss, grad, states)``: loss ``(B, T)`` L_t = CE(readout(h_t), y); grad
        ``(B, T, H, H)`` ΔV_t in ``weight_hh_l0``'s layout (rows: the a-side, columns: h_{t−1});
        states ``(B, T+1, H)`` h_0..h_T.
    """
    body = _tanh_rnn(model)
    V = body.weight_hh_l0.detach()
    B, T = x.shape[:2]
    H = V.shape[0]
    h0 = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0.to(x.dtype)
    with torch.no_grad():
        hs = body(x, h0.unsqueeze(0).contiguous())[0]  # (B, T, H): h_1..h_T
    hs = hs.detach().requires_grad_(True)
    readout = model.readout if model.readout is not None else nn.Identity()
    logits = readout(hs)  # L_t depends on h_t only through the readout
    loss = _per_sample_loss(logits.reshape(B * T, -1), y.repeat_interleave(T)).view(B, T)
    (g,) = torch.autograd.grad(loss.sum(), hs)  # g[:, t] = ∇_{h_t} L_t
    hs = hs.detach()
    prev = torch.cat([h0.unsqueeze(1), hs[:, :-1]], 1)  # h_{s−1}
    E = torch.zeros(B, T, H, T, dtype=x.dtype)  # E[:, t, :, s] = e_s^{(t)} (zero for s > t)
    delta = torch.zeros(B, T, H, dtype=x.dtype)  # row t: δ_s^{(t)} (zero while t < s)
    for s in range(T - 1, -1, -1):  # 0-based: the step that reads x[:, s] and makes hs[:, s]
        delta[:, s] = g[:, s]
        e = delta[:, s:] * (1 - hs[:, s] ** 2).unsqueeze(1)  # (B, T−s, H)
        E[:, s:, :, s] = e
        delta[:, s:] = e @ V
    grad = E @ prev.unsqueeze(1)  # Σ_s e_s^{(t)} h_{s−1}ᵀ: one batched product, (B, T, H, H)
    return loss.detach(), grad, torch.cat([h0.unsqueeze(1), hs], 1)


@register_result
@dataclass(frozen=True)
class WeightGradient:
    """ΔV_t, its singular values and the cosines of the Q-vectors with its leading and trailing
    singular vectors (Vogt, dissertation, eq. 4.15), t = 1..T (the loss on the prediction after
    t steps; :func:`recurrent_weight_gradient`).

    Attributes:
        loss: ``(B, T)`` L_t (nats).
        singular_values: ``(B, T, H)`` of ΔV_t, descending.
        cos_leading: ``(B, T, H, m)`` [A_t]_ij = q_i(t)·u_j(t) (eq. 4.15) for every Q index i
            and the first m singular vectors u_j of ΔV_t (left ones by default).
        cos_trailing: ``(B, T, H, m)`` the same for the last m singular vectors (App. C).
        r_values: ``(B, T, H)`` the R-values of the same steps (``lyapunov_spectrum``).
        side: ``"left"`` (columns of U: the a-side, eq. 4.6's diag(φ′)∇_hL) or ``"right"``
            (rows of Vᵀ: the h_{t−1}-side) singular vectors.
        grad: ``(B, T, H, H)`` ΔV_t itself, or None (``keep_grad=False``).
    """

    loss: Tensor
    singular_values: Tensor
    cos_leading: Tensor
    cos_trailing: Tensor
    r_values: Tensor
    side: str = "left"
    grad: Tensor | None = None

    @property
    def dim(self) -> int:
        return self.singular_values.shape[-1]

    def participation_ratio(self) -> Tensor:
        """``(B, T)`` P of ΔV_t (App. B, Fig. B1; :func:`participation_ratio`)."""
        return participation_ratio(self.singular_values)

    def numerical_rank(self, rtol: float | None = None) -> Tensor:
        """``(B, T)`` singular values above ``rtol``·s_max (default H·eps). ΔV_t is a sum of t
        outer products, so its rank is ≤ t: the trailing singular vectors of a short prefix
        span the null space, where the SVD's basis is arbitrary."""
        s = self.singular_values
        rtol = self.dim * torch.finfo(s.dtype).eps if rtol is None else rtol
        return (s > rtol * s[..., :1]).sum(-1)

    def _cos(self, which: str) -> Tensor:
        if which not in ("leading", "trailing"):
            raise ValueError(f"which must be 'leading' or 'trailing', got {which!r}.")
        return self.cos_leading if which == "leading" else self.cos_trailing

    def alignment_std(self, q_indices, which: str = "leading", steps=None) -> float:
        """Standard deviation of the signed cosines pooled over sequences, the steps ``steps``
        (0-based positions, default all) and the m singular vectors, for the Q indices given
        (the numbers printed in Fig. 4.1 / C2). Random unit vectors in R^H give 1/√H."""
        c = self._cos(which)[:, :, list(q_indices)]
        c = c if steps is None else c[:, list(steps)]
        return float(c.std())

    def std_by_index(self, which: str = "leading") -> Tensor:
        """``(T, H)`` std of the cosines per step and Q index, over sequences and the m singular
        vectors (Fig. 4.2)."""
        c = self._cos(which)
        return c.permute(1, 2, 0, 3).flatten(2).std(-1)

    def to_dict(self) -> dict:
        names = ("loss", "singular_values", "cos_leading", "cos_trailing", "r_values", "grad")
        return {
            "result_type": "WeightGradient",
            "side": self.side,
            "arrays": {n: tensor_to_json(getattr(self, n)) for n in names},
        }

    @classmethod
    def from_dict(cls, d: dict) -> WeightGradient:
        arrays = {n: tensor_from_json(v) for n, v in d["arrays"].items()}
        return cls(side=d["side"], **arrays)

    def __repr__(self) -> str:
        B, T, H = self.singular_values.shape
        p = float(self.participation_ratio().nanmean())
        return (
            f"WeightGradient({B} sequences × {T} steps, H = {H}, {self.side} singular vectors, "
            f"m = {self.cos_leading.shape[-1]}, mean P = {p:.3f})"
        )


def recurrent_weight_gradient(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    h0: Tensor | None = None,
    n_vectors: int = 5,
    side: str = "left",
    keep_grad: bool = False,
    dtype=torch.float64,
) -> WeightGradient:
    """ΔV_t (Vogt, dissertation, §4.3.1, eq. 4.9–4.10; App. B) for every sequence and step, its
    SVD (App. A) and the cosines of the Q-vectors with its first and last ``n_vectors``
    singular vectors (eq. 4.15; Fig. 4.1–4.2, C2).

    ΔV_t = ∂L_t/∂V, L_t = CE(readout(h_t), y): the loss on the prediction after t steps, the
    readout applied to h_t (App. B), by :func:`step_weight_gradients`. The Q-vectors q_i(t)
    are the frame Q_t after step t of :func:`neurodyn.lyapunov_spectrum` (``t_on=1``, no warm-up,
    from the same ``h0`` and the fixed random Q_0 of :func:`neurodyn.aelle.ftle_gradient`), so
    q_i(t) and ΔV_t belong to the same step.

    Args:
        model: a sequence classifier with a one-layer tanh ``nn.RNN`` body (eq. 4.5).
        x: ``(B, T, F)`` inputs; y: ``(B,)`` labels.
        h0: ``(B, H)`` initial states (zeros; the paper draws 25 random ones). With h_0 = 0
            the first step adds nothing (ΔV_1 = 0, P undefined).
        n_vectors: m, the leading / trailing singular vectors kept (the paper: 5).
        side: ``"left"`` (U) or ``"right"`` (V) singular vectors (App. A; both live in the
            hidden space, see :class:`WeightGradient`).
        keep_grad: also return the ``(B, T, H, H)`` tensor (B·T·H² numbers).
        dtype: dtype of the analysis copy (float64).

    Returns:
        :class:`WeightGradient`.
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}.")
    model = _analysis_copy(model, dtype)
    _tanh_rnn(model)
    f = _body_map(model)
    x, y = _check_batch(model, x, y, f)
    H = f.dim
    if not isinstance(n_vectors, int) or not 1 <= n_vectors <= H:
        raise ValueError(f"n_vectors must be an int in [1, {H}], got {n_vectors!r}.")
    if h0 is not None and tuple(h0.shape) != (x.shape[0], H):
        raise ValueError(f"h0 must be ({x.shape[0]}, {H}), got {tuple(h0.shape)}.")
    h0 = None if h0 is None else h0.to(x.dtype)
    loss, grad, _ = step_weight_gradients(model, x, y, h0)
    lyap = lyapunov_spectrum(f, x, h0=h0, k=H, t_on=1, warmup=0, keep_history=True,
                             keep_vectors=True, q0=_random_frame(H, H, x.dtype))  # fmt: skip
    Q = lyap.q_vectors  # (B, T, H, H): Q_t after step t
    U, S, Vh = torch.linalg.svd(grad)
    sv = U if side == "left" else Vh.transpose(-1, -2)  # columns: singular vectors
    m = n_vectors
    A_lead = Q.transpose(-1, -2) @ sv[..., :m]
    A_trail = Q.transpose(-1, -2) @ sv[..., -m:]
    return WeightGradient(
        loss=loss,
        singular_values=S,
        cos_leading=A_lead,
        cos_trailing=A_trail,
        r_values=lyap.r_values,
        side=side,
        grad=grad if keep_grad else None,
    )


def mean_log_r(r_values: Tensor, n: int) -> Tensor:
    """``(…, T)`` (1/n) Σ_{i≤n} log r^i_t: the log volume growth rate of the leading n-dim
    frame at each step (Fig. 4.3; the text writes the mean of r, the caption the mean log)."""
    if not 1 <= n <= r_values.shape[-1]:
        raise ValueError(f"n must be in [1, {r_values.shape[-1]}], got {n}.")
    return torch.log(r_values[..., :n]).mean(-1)
