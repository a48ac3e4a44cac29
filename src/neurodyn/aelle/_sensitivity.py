"""Loss gradients in the basis of the Lyapunov vectors, and input sensitivity from R-values
(Vogt, dissertation, Ch. 4: eq. 4.11–4.15, Algorithm 3, Table 4.1).

For a driven map h_t = F(h_{t−1}, x_t) with Jacobians D_t = ∂h_t/∂h_{t−1} (rows: outputs) and the
forward QR of the FTLE algorithm (Vogt, dissertation, eq. 4.2, the one
:func:`neurodyn.lyapunov_spectrum` runs),

    D_t Q_{t−1} = Q_t R_t            (Q_t: n×k orthonormal, R_t: k×k upper triangular),

the loss gradient of a sequence classifier (loss read out at the last step T) obeys, for any k,

    Q_tᵀ ∇_{h_t}L = R_{t+1}ᵀ Q_{t+1}ᵀ ∇_{h_{t+1}}L = (R_T ⋯ R_{t+1})ᵀ Q_Tᵀ ∇_{h_T}L,     (★)

and, because (R_T ⋯ R_{t+1})ᵀ is lower triangular, its first row is exact in the R-values alone:

    |q₁(t)·∇_{h_t}L| = exp(Σ_{r=t+1}^{T} log r¹_r) · |q₁(T)·∇_{h_T}L|.                    (★★)

(★) with k = n is the corrected form of Vogt, dissertation, eq. 4.13–4.14: the gradient at t is
expanded in the frame Q_t *at t* (the paper writes Q_s on the left and the untransposed product,
which holds only for commuting Jacobians; docs/sensitivity.md derives both).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from neurodyn._core import register_result, tensor_from_json, tensor_to_json, to_jsonable
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import as_map, complete_map

__all__ = [
    "AlignmentResult",
    "FTLEGradient",
    "PixelFlippingResult",
    "expected_abs_cosine",
    "flip_pixels",
    "ftle_gradient",
    "gradient_alignment",
    "pixel_flipping",
]


# ----------------------------------------------------------------------------- model plumbing


def _analysis_copy(model: nn.Module, dtype: torch.dtype | None) -> nn.Module:
    """An eval-mode copy in ``dtype`` (the caller's model, its mode and dtype stay untouched)."""
    if not isinstance(model, nn.Module) or not hasattr(model, "body"):
        raise TypeError(
            "expected a sequence classifier with .body (recurrent module) and .readout, as "
            f"neurodyn.train.build_model makes, got {type(model).__name__}."
        )
    m = copy.deepcopy(model).eval()
    return m.to(dtype) if dtype is not None else m


def _body_map(model: nn.Module):
    f = complete_map(as_map(model.body))
    if f.input_size is None:
        raise ValueError(f"{type(model.body).__name__}'s map is autonomous; expected a driven RNN.")
    if f.tangent_dim != f.dim:
        raise ValueError(
            f"the map of {type(model.body).__name__} has tangent_dim {f.tangent_dim} < dim "
            f"{f.dim} (an approximate tangent space, e.g. the h-only LSTM convention): the "
            "gradient identities need the exact Jacobian; use as_map's default lstm_state='hc'."
        )
    return f


def _output(f, state: Tensor) -> Tensor:
    """The body's output y_t at a map state (the part of the state the readout sees)."""
    if hasattr(f, "output"):
        return f.output(state)
    h_index = getattr(f, "h_index", None)
    if h_index is not None:  # torch nn.RNN/GRU/LSTM: the top layer's h
        return state[:, h_index[-f.hidden_size :]]
    raise TypeError(
        f"cannot read the body's output from the state of {type(f).__name__}; supported: "
        "torch RNN/GRU/LSTM modules and neurodyn's recurrent cells."
    )


def _logits(model: nn.Module, f, state: Tensor) -> Tensor:
    y = _output(f, state)
    return y if model.readout is None else model.readout(y)


def _check_batch(model: nn.Module, x: Tensor, y: Tensor, f) -> tuple[Tensor, Tensor]:
    dtype = next(model.parameters()).dtype
    if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[2] != f.input_size:
        raise ValueError(
            f"x must be a (B, T, {f.input_size}) tensor of input sequences, got "
            f"{tuple(getattr(x, 'shape', ()))}."
        )
    y = torch.as_tensor(y)
    if y.shape != (x.shape[0],) or y.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"y must be ({x.shape[0]},) integer class labels, got {tuple(y.shape)}.")
    return x.to(dtype), y.long()


def _per_sample_loss(logits: Tensor, y: Tensor) -> Tensor:
    return nn.functional.cross_entropy(logits, y, reduction="none")


# ----------------------------------------------------------------------------- FTLE–gradient


@register_result
@dataclass(frozen=True)
class FTLEGradient:
    """Loss gradients along a sequence beside the FTLE quantities of the same steps.

    Time index t = 0..T: h_0 is the initial state, h_t the state after reading input x_t
    (``x[:, t−1]``). Step t has Jacobian D_t = ∂h_t/∂h_{t−1} at (h_{t−1}, x_t) and QR
    D_t Q_{t−1} = Q_t R_t (Vogt, dissertation, eq. 4.2 / corrected 4.11).

    Attributes:
        loss: ``(B,)`` per-sequence cross-entropy L_b (nats).
        grad_h: ``(B, T+1, n)`` ∂L_b/∂h_t by autograd through the map, t = 0..T.
        grad_x: ``(B, T, F)`` ∂L_b/∂x_t (the input sensitivity Algorithm 3 perturbs).
        q_vectors: ``(B, T+1, n, k)`` Q_t, t = 0..T (Q_0 the initial frame).
        r_values: ``(B, T, k)`` |R_t,ii| from :func:`neurodyn.lyapunov_spectrum`, t = 1..T.
        r_matrices: ``(B, T, k, k)`` R_t = Q_tᵀ D_t Q_{t−1} (signed, the full triangle).
        coefficients: ``(B, T+1, k)`` c_t = Q_tᵀ ∇_{h_t}L.
    """

    loss: Tensor
    grad_h: Tensor
    grad_x: Tensor
    q_vectors: Tensor
    r_values: Tensor
    r_matrices: Tensor
    coefficients: Tensor

    @property
    def steps(self) -> int:
        return self.r_values.shape[1]

    @property
    def ftle(self) -> Tensor:
        """``(B, T+1, k)`` FTLE of the stretch (t, T]: (1/(T−t)) Σ_{r>t} log r^i_r (Vogt,
        dissertation, eq. 4.4 over the steps after t); NaN at t = T (an empty stretch)."""
        tail = self.accumulated_log_r
        span = torch.arange(self.steps, -1, -1, dtype=tail.dtype).view(1, -1, 1)
        return tail / span.where(span > 0, torch.nan)

    @property
    def accumulated_log_r(self) -> Tensor:
        """``(B, T+1, k)`` Σ_{r=t+1}^{T} log r^i_r, t = 0..T (0 at t = T)."""
        logs = torch.log(self.r_values)
        tail = torch.flip(torch.cumsum(torch.flip(logs, [1]), 1), [1])
        return torch.cat([tail, torch.zeros_like(tail[:, :1])], 1)

    def predicted_log_growth(self) -> Tensor:
        """``(B, T+1)`` log|q₁(t)·∇_{h_t}L| − log|q₁(T)·∇_{h_T}L| predicted by (★★) from the
        R-values alone: Σ_{r>t} log r¹_r = (T−t)·λ¹_FT(t, T]."""
        return self.accumulated_log_r[..., 0]

    def observed_log_growth(self) -> Tensor:
        """``(B, T+1)`` the same quantity from the autograd gradients."""
        c1 = self.coefficients[..., 0].abs().log()
        return c1 - c1[:, -1:]

    def norm_log_growth(self) -> Tensor:
        """``(B, T+1)`` log‖∇_{h_t}L‖ − log‖∇_{h_T}L‖ (≥ observed growth of the q₁ part)."""
        norm = self.grad_h.norm(dim=-1).log()
        return norm - norm[:, -1:]

    def identity_residual(self) -> float:
        """max over b, t of ‖c_{t−1} − R_tᵀ c_t‖ / ‖∇_{h_{t−1}}L‖: the one-step form of (★)
        (the corrected eq. 4.14 of Vogt, dissertation); rounding-level for a correct run."""
        rhs = torch.einsum("btji,btj->bti", self.r_matrices, self.coefficients[:, 1:])
        err = (self.coefficients[:, :-1] - rhs).norm(dim=-1)
        return float((err / self.grad_h[:, :-1].norm(dim=-1).clamp_min(1e-300)).max())

    def growth_residual(self, skip: int = 0) -> float:
        """max |observed − predicted| log growth of (★★) over t ≥ ``skip`` (nats)."""
        d = (self.observed_log_growth() - self.predicted_log_growth())[:, skip:]
        return float(d.abs().max())

    def to_dict(self) -> dict:
        names = ("loss", "grad_h", "grad_x", "q_vectors", "r_values", "r_matrices")
        return {
            "result_type": "FTLEGradient",
            "steps": self.steps,
            "identity_residual": to_jsonable(self.identity_residual()),
            "arrays": {n: tensor_to_json(getattr(self, n)) for n in (*names, "coefficients")},
        }

    @classmethod
    def from_dict(cls, d: dict) -> FTLEGradient:
        return cls(**{n: tensor_from_json(v) for n, v in d["arrays"].items()})

    def plot(self, sample: int = 0):
        """Observed vs predicted log growth of the q₁ component and of ‖∇_{h_t}L‖."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.6), layout="constrained")
        ax = fig.add_subplot()
        t = range(self.steps + 1)
        ax.plot(t, self.predicted_log_growth()[sample], "k-", lw=2, label="Σ_{r>t} log r¹ (R only)")
        ax.plot(t, self.observed_log_growth()[sample], "C1--", label="log|q₁·∇h L| (autograd)")
        ax.plot(t, self.norm_log_growth()[sample], "C0:", label="log‖∇h L‖")
        ax.set(xlabel="time step t", ylabel="log growth relative to t = T (nats)")
        ax.set_title("FTLE–gradient relation (Vogt, dissertation, eq. 4.14, corrected)", fontsize=9)
        ax.legend(fontsize=8)
        return fig


def _random_frame(n: int, k: int, dtype) -> Tensor:
    gen = torch.Generator().manual_seed(0)
    return torch.linalg.qr(torch.randn(n, k, generator=gen, dtype=torch.float64))[0].to(dtype)


def ftle_gradient(
    model: nn.Module, x: Tensor, y: Tensor, *, k: int | None = None, dtype=torch.float64
) -> FTLEGradient:
    """∂L/∂h_t at every step beside the Q-vectors and R-values of the same steps (Vogt,
    dissertation, Ch. 4, eq. 4.11–4.14, in the corrected form (★) of the module docstring).

    Runs ``neurodyn.as_map(model.body)`` step by step with autograd (gradients retained on every
    state), and :func:`neurodyn.lyapunov_spectrum` with ``t_on=1``, no warm-up, from zero state
    and one fixed random frame Q_0, so step t of both is the same step.

    Args:
        model: a sequence classifier (``.body``, ``.readout``; ``neurodyn.train.build_model``).
        x: ``(B, T, F)`` input sequences; y: ``(B,)`` labels.
        k: number of Q-vectors (default: all n).
        dtype: the dtype of the analysis copy of the model (float64 by default, so the
            identities hold to ~1e-12); None keeps the model's.

    Returns:
        :class:`FTLEGradient`.

    Raises:
        TypeError / ValueError: not a sequence classifier, wrong shapes, an approximate tangent
        space, or a map whose step does not reproduce ``model(x)`` (names what differs).
    """
    model = _analysis_copy(model, dtype)
    f = _body_map(model)
    x, y = _check_batch(model, x, y, f)
    B, T = x.shape[:2]
    n = f.dim
    k = n if k is None else k
    q0 = _random_frame(n, k, x.dtype)
    lyap = lyapunov_spectrum(
        f, x, k=k, t_on=1, warmup=0, keep_history=True, keep_vectors=True, q0=q0
    )
    xg = x.detach().clone().requires_grad_(True)
    h = f.zero_state(B, dtype=x.dtype, device=x.device).requires_grad_(True)
    states = [h]
    for t in range(T):
        h = f.step(h, xg[:, t])
        h.retain_grad()
        states.append(h)
    logits = _logits(model, f, h)
    with torch.no_grad():
        direct = model(x)
    if not torch.allclose(logits, direct, rtol=1e-5, atol=1e-6 * (1 + direct.abs().max())):
        raise ValueError(
            f"stepping as_map(model.body) does not reproduce model(x) for {type(model).__name__} "
            f"(max |Δlogit| = {float((logits - direct).abs().max()):.3g}): the map or the output "
            "read from its state is not what the model computes."
        )
    loss = _per_sample_loss(logits, y)
    loss.sum().backward()  # sum of independent rows: row b of each grad is ∂L_b/∂·
    grad_h = torch.stack([s.grad for s in states], 1).detach()
    Q = torch.cat([q0.expand(B, 1, n, k), lyap.q_vectors], 1)
    with torch.no_grad():
        hs = torch.stack(states[:-1], 1).detach()
        J = torch.stack([f.jacobian(hs[:, t], x[:, t]) for t in range(T)], 1)  # (B, T, n, n)
        R = Q[:, 1:].transpose(-1, -2) @ J @ Q[:, :-1]
        coef = torch.einsum("btnk,btn->btk", Q, grad_h)
    return FTLEGradient(
        loss=loss.detach(),
        grad_h=grad_h,
        grad_x=xg.grad.detach(),
        q_vectors=Q,
        r_values=lyap.r_values,
        r_matrices=R,
        coefficients=coef,
    )


# ----------------------------------------------------------------------------- alignment


def expected_abs_cosine(n: int) -> float:
    """E|cos θ| between a fixed unit vector and a uniformly random one in R^n:
    Γ(n/2) / (√π Γ((n+1)/2)) (2/π for n = 2, 1/2 for n = 3, ≈ √(2/(πn)) for large n). The
    signed cosine has mean 0 and standard deviation 1/√n (0.088 for n = 128: the epoch-0 value of
    Vogt, dissertation, Fig. 4.1)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (the dimension), got {n!r}.")
    return math.exp(math.lgamma(n / 2) - math.lgamma((n + 1) / 2)) / math.sqrt(math.pi)


@register_result
@dataclass(frozen=True)
class AlignmentResult:
    """Cosines between ∂L/∂h_t and the Q-vectors q_i(t), and a random-vector baseline (Vogt,
    dissertation, eq. 4.15, with the gradient in place of the singular vectors of ΔV).

    Attributes:
        cos: ``(B, T, m)`` signed cos(∇_{h_t}L, q_i(t)) for t = 1..T and the Q indices
            ``indices`` (the sign of a Q-vector is arbitrary: compare |cos| or the spread).
        random_cos: ``(B, T, n_random)`` cos(∇_{h_t}L, u) for uniform random unit vectors u.
        indices: the 0-based Q-vector indices of ``cos``'s last axis (q_{i+1} in the paper).
        dim: n, the state dimension.
    """

    cos: Tensor
    random_cos: Tensor
    indices: tuple[int, ...]
    dim: int

    @property
    def expected_random(self) -> float:
        """Analytic E|cos| for random vectors in R^n (:func:`expected_abs_cosine`)."""
        return expected_abs_cosine(self.dim)

    def summary(self) -> dict:
        """Mean |cos| and std of cos per Q index and for the random baseline."""
        a = self.cos.abs()
        return {
            "dim": self.dim,
            "q_index": [i + 1 for i in self.indices],
            "mean_abs_cos": a.mean((0, 1)).tolist(),
            "std_cos": self.cos.std((0, 1)).tolist(),
            "random_mean_abs_cos": float(self.random_cos.abs().mean()),
            "random_std_cos": float(self.random_cos.std()),
            "expected_random_abs_cos": self.expected_random,
            "expected_random_std_cos": 1 / math.sqrt(self.dim),
        }

    def table(self) -> str:
        s = self.summary()
        lines = ["q index | mean |cos| | std cos", "------- | ---------- | -------"]
        for i, m, sd in zip(s["q_index"], s["mean_abs_cos"], s["std_cos"], strict=True):
            lines.append(f"q{i:<6d} | {m:10.3f} | {sd:7.3f}")
        lines.append(
            f"random  | {s['random_mean_abs_cos']:10.3f} | {s['random_std_cos']:7.3f}"
            f"   (analytic {s['expected_random_abs_cos']:.3f} | {s['expected_random_std_cos']:.3f})"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "result_type": "AlignmentResult",
            **to_jsonable(self.summary()),
            "indices": list(self.indices),
            "arrays": {
                "cos": tensor_to_json(self.cos),
                "random_cos": tensor_to_json(self.random_cos),
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> AlignmentResult:
        a = d["arrays"]
        return cls(
            cos=tensor_from_json(a["cos"]),
            random_cos=tensor_from_json(a["random_cos"]),
            indices=tuple(d["indices"]),
            dim=int(d["dim"]),
        )

    def plot(self, bins: int = 40):
        """Histograms of |cos| for each Q index against the random baseline (the shape of Vogt,
        dissertation, Fig. 4.1), pooled over sequences and time steps."""
        from matplotlib.figure import Figure

        m = len(self.indices)
        fig = Figure(figsize=(2.4 * m + 0.6, 2.8), layout="constrained")
        axes = fig.subplots(1, m, sharey=True, squeeze=False)[0]
        edges = torch.linspace(0, 1, bins + 1).tolist()
        rnd = self.random_cos.abs().flatten().tolist()
        for j, ax in enumerate(axes):
            ax.hist(rnd, bins=edges, density=True, color="0.6", alpha=0.7, label="random")
            mine = self.cos[..., j].abs().flatten().tolist()
            label = f"q{self.indices[j] + 1}"
            ax.hist(mine, bins=edges, density=True, histtype="step", color="C3", label=label)
            ax.axvline(self.expected_random, color="k", ls=":", lw=1)
            ax.set_xlabel(f"|cos(∇h L, q{self.indices[j] + 1})|")
            ax.legend(fontsize=7)
        axes[0].set_ylabel("density")
        fig.suptitle("Gradient–Q-vector alignment (Vogt, dissertation, eq. 4.15)", fontsize=9)
        return fig


def gradient_alignment(
    grad: FTLEGradient,
    *,
    indices=(0, 1, 2, 3, 4),
    n_random: int = 10,
    seed: int = 0,
) -> AlignmentResult:
    """|cos| between ∂L/∂h_t and the Q-vectors q_i(t) of the same step, and a baseline of random
    unit vectors in R^n (Vogt, dissertation, eq. 4.15; see docs/sensitivity.md for why the
    gradient replaces the singular vectors of ΔV).

    Args:
        grad: an :class:`FTLEGradient` (from :func:`ftle_gradient`).
        indices: 0-based Q-vector indices (q₁ is 0); each below the k of ``grad``.
        n_random: random unit vectors per (sequence, step), drawn uniformly on the sphere
            (normalised Gaussians) from a generator seeded with ``seed``.

    Returns:
        :class:`AlignmentResult` over t = 1..T (Q_0 is the arbitrary initial frame).
    """
    if not isinstance(grad, FTLEGradient):
        raise TypeError(f"grad must be an FTLEGradient (from ftle_gradient), got {type(grad)}.")
    k = grad.q_vectors.shape[-1]
    indices = tuple(int(i) for i in indices)
    if not indices or min(indices) < 0 or max(indices) >= k:
        raise ValueError(f"indices must be non-empty and within [0, {k}) (the k Q-vectors kept).")
    if not isinstance(n_random, int) or n_random < 1:
        raise ValueError(f"n_random must be a positive int, got {n_random!r}.")
    g = grad.grad_h[:, 1:]
    unit = g / g.norm(dim=-1, keepdim=True)
    cos = torch.einsum("btnk,btn->btk", grad.q_vectors[:, 1:, :, list(indices)], unit)
    B, T, n = unit.shape
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(B, T, n_random, n, generator=gen, dtype=torch.float64).to(unit.dtype)
    u = u / u.norm(dim=-1, keepdim=True)
    random_cos = torch.einsum("btrn,btn->btr", u, unit)
    return AlignmentResult(cos=cos, random_cos=random_cos, indices=indices, dim=n)


# ----------------------------------------------------------------------------- pixel flipping


def flip_pixels(x: Tensor, steps: Tensor, high: float = 1.0) -> Tensor:
    """Algorithm 3 of Vogt, dissertation: at the chosen time steps a zero input becomes ``high``
    ("up flip") and a non-zero one becomes 0 ("down flip"); every other step is unchanged.

    Args:
        x: ``(B, T, F)`` inputs (all F features of a chosen step are flipped).
        steps: ``(B, k)`` long indices of the time steps to flip, per sequence.
    """
    idx = steps.unsqueeze(-1).expand(-1, -1, x.shape[2])
    picked = torch.gather(x, 1, idx)
    flipped = torch.where(picked == 0, torch.full_like(picked, high), torch.zeros_like(picked))
    return x.scatter(1, idx, flipped)


_COLUMNS = ("k", "delta", "se_paired", "p_paired", "se_unpaired", "p_unpaired")


@register_result
@dataclass(frozen=True)
class PixelFlippingResult:
    """Loss differences after flipping the k inputs of largest R₁ vs k random inputs (Vogt,
    dissertation, Algorithm 3, Fig. 4.4, Table 4.1).

    A loss difference is L(flipped input) − L(original input), per sequence (cross-entropy, nats):
    positive means the flips made the prediction worse.

    Attributes:
        k_values: the numbers of flipped inputs.
        diff_r: ``(K, N)`` loss differences for the top-k-R₁ flips.
        diff_random: ``(K, N, n_random)`` loss differences for k uniformly random steps.
        first_order_r: ``(K, N)`` ∇_x L · δ for the R₁ flips (first-order prediction of diff_r).
        up_flips: ``(K, N)`` how many of the k R₁ flips were up flips (0 → ``high``).
        r1: ``(N, T)`` the R₁ = |R_t,11| of each step (step t reads x_t).
        rows: one dict per k: ``delta`` = μ_R − μ_rand; the paired test (``se_paired``,
            ``p_paired``: one-sided ``scipy.stats.ttest_rel`` of each sequence's R-flip
            difference against the mean of its random flips) and the paper's unpaired one
            (``se_unpaired``, ``p_unpaired``: one-sided Student ``ttest_ind`` of the N R-flip
            differences against all N·n_random random ones).
        flips: ``"both"`` (Algorithm 3), ``"up"`` or ``"down"``: the candidate steps (all, the
            zero inputs, the non-zero inputs), for the R₁ and the random design alike.
        n_flipped: ``(K, N)`` steps actually flipped: min(k, candidates of the sequence).
    """

    k_values: tuple[int, ...]
    diff_r: Tensor
    diff_random: Tensor
    first_order_r: Tensor
    up_flips: Tensor
    r1: Tensor
    rows: list = field(default_factory=list)
    flips: str = "both"
    n_flipped: Tensor | None = None

    def table(self) -> str:
        """Table 4.1 of Vogt, dissertation, as measured (its "Variance" column is the standard
        error of μ_R − μ_rand; docs/sensitivity.md)."""
        head = "  k | μ_R − μ_rand | s.e. (paired) | p (paired) | s.e. (unpaired) | p (unpaired)"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r['k']:3d} | {r['delta']:12.3f} | {r['se_paired']:13.3f} | "
                f"{r['p_paired']:10.3g} | {r['se_unpaired']:15.3f} | {r['p_unpaired']:12.3g}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        names = ("diff_r", "diff_random", "first_order_r", "up_flips", "r1")
        return {
            "result_type": "PixelFlippingResult",
            "k_values": list(self.k_values),
            "flips": self.flips,
            "n_flipped": tensor_to_json(self.n_flipped),
            "rows": to_jsonable(self.rows),
            "arrays": {n: tensor_to_json(getattr(self, n)) for n in names},
        }

    @classmethod
    def from_dict(cls, d: dict) -> PixelFlippingResult:
        arrays = {n: tensor_from_json(v) for n, v in d["arrays"].items()}
        extra = {"flips": d.get("flips", "both"), "n_flipped": tensor_from_json(d.get("n_flipped"))}
        return cls(k_values=tuple(d["k_values"]), rows=list(d["rows"]), **extra, **arrays)

    def plot(self):
        """Loss difference against k, R₁ flips vs random flips (the shape of Fig. 4.4)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.5, 3.6), layout="constrained")
        ax = fig.add_subplot()
        ks = list(self.k_values)
        for j, k in enumerate(ks):
            ax.scatter([k] * self.diff_random[j].numel(), self.diff_random[j].flatten().tolist(),
                       s=3, color="0.7", alpha=0.4)  # fmt: skip
            ax.scatter([k] * self.diff_r[j].numel(), self.diff_r[j].tolist(), s=8, color="C0")
        ax.plot(ks, self.diff_random.mean((1, 2)).tolist(), color="0.4", label="random flips")
        ax.plot(ks, self.diff_r.mean(1).tolist(), color="C0", label="largest R₁ flips")
        ax.set_xscale("log")
        ax.set(xlabel="flipped inputs k", ylabel="L(flipped) − L(original) (nats)")
        ax.set_title("Pixel flipping (Vogt, dissertation, Alg. 3)", fontsize=9)
        ax.legend(fontsize=8)
        return fig


def _stats(k: int, dr: Tensor, drand: Tensor) -> dict:
    from scipy import stats

    a, pooled = dr.numpy(), drand.flatten().numpy()
    per_seq = drand.mean(1).numpy()
    n, m = a.size, pooled.size
    paired = stats.ttest_rel(a, per_seq, alternative="greater")
    unpaired = stats.ttest_ind(a, pooled, alternative="greater")
    sp2 = ((n - 1) * a.var(ddof=1) + (m - 1) * pooled.var(ddof=1)) / (n + m - 2)
    return {
        "k": k,
        "mean_r": float(a.mean()),
        "mean_random": float(pooled.mean()),
        "delta": float(a.mean() - pooled.mean()),
        "se_paired": float((a - per_seq).std(ddof=1) / math.sqrt(n)),
        "p_paired": float(paired.pvalue),
        "se_unpaired": float(math.sqrt(sp2 * (1 / n + 1 / m))),
        "p_unpaired": float(unpaired.pvalue),
        "n_sequences": n,
        "n_random": drand.shape[1],
    }


def pixel_flipping(
    model: nn.Module,
    dataset,
    k_values=(1, 2, 4, 8, 16),
    *,
    n_samples: int = 15,
    n_random: int = 50,
    high: float = 1.0,
    seed: int = 0,
    flips: str = "both",
    dtype=torch.float64,
) -> PixelFlippingResult:
    """Vogt, dissertation, Algorithm 3 and Table 4.1: flip the k inputs at the steps of largest
    R₁ = |R_t,11| (the first R-value of the QR step that reads x_t) against k random steps.

    R₁ comes from :func:`neurodyn.lyapunov_spectrum` (k = 1, ``t_on=1``, zero initial state);
    flips follow :func:`flip_pixels`. For each k the two designs are compared by one-sided
    t-tests of H₁: μ_R > μ_rand (see :class:`PixelFlippingResult`; docs/sensitivity.md says why
    the paired test is the primary one).

    Args:
        model: a sequence classifier (``.body``, ``.readout``).
        dataset: a :class:`neurodyn.data.SequenceDataset` (or any object with ``x (N, T, F)``
            and ``y (N,)``); its first ``n_samples`` sequences are used (the paper uses 15).
        k_values: numbers of flipped steps, each in [1, T].
        n_random: random k-subsets per sequence and k (the paper uses 50).
        high: the value of an up flip (1.0: the maximum of inputs scaled to [0, 1]).
        seed: seed of the random subsets.
        flips: ``"both"`` (Algorithm 3: every step is a candidate), ``"up"`` (only steps whose
            input is 0) or ``"down"`` (only non-zero steps), to separate the two kinds of flip
            (Fig. 4.4). Both designs pick among the candidates of each sequence; where a
            sequence has fewer than k, all of them are flipped (``n_flipped``).
        dtype: dtype of the analysis copy of the model.
    """
    model = _analysis_copy(model, dtype)
    f = _body_map(model)
    x, y = _check_batch(model, dataset.x[:n_samples], dataset.y[:n_samples], f)
    N, T = x.shape[:2]
    k_values = tuple(int(k) for k in k_values)
    if not k_values or min(k_values) < 1 or max(k_values) > T:
        raise ValueError(f"k_values must be non-empty and within [1, {T}] (the sequence length).")
    if N < 2 or n_random < 1:
        raise ValueError(f"need n_samples ≥ 2 sequences and n_random ≥ 1, got {N}, {n_random}.")
    if flips not in ("both", "up", "down"):
        raise ValueError(f"flips must be 'both', 'up' or 'down', got {flips!r}.")
    zero = (x == 0).all(-1)
    cand = torch.ones_like(zero) if flips == "both" else zero if flips == "up" else ~zero
    n_cand = cand.sum(1)
    r1 = lyapunov_spectrum(f, x, k=1, t_on=1, keep_history=True).r_values[..., 0]  # (N, T)
    order = torch.argsort(r1.masked_fill(~cand, -math.inf), dim=1, descending=True)
    xg = x.clone().requires_grad_(True)
    base = _per_sample_loss(model(xg), y)
    (grad_x,) = torch.autograd.grad(base.sum(), xg)
    base = base.detach()
    gen = torch.Generator().manual_seed(seed)
    diff_r, diff_rand, first, ups, counts = [], [], [], [], []
    with torch.no_grad():
        for k in k_values:
            top = order[:, :k]
            xr = _flip_candidates(x, top, cand, high)
            diff_r.append(_per_sample_loss(model(xr), y) - base)
            first.append(((xr - x) * grad_x).sum((1, 2)))
            ups.append((torch.gather(zero & cand, 1, top)).sum(1))
            counts.append(n_cand.clamp(max=k))
            scores = torch.rand(n_random, N, T, generator=gen).masked_fill(~cand, math.inf)
            picks = scores.argsort(-1)[..., :k]
            xs = torch.cat([_flip_candidates(x, picks[j], cand, high) for j in range(n_random)])
            d = _per_sample_loss(model(xs), y.repeat(n_random)) - base.repeat(n_random)
            diff_rand.append(d.view(n_random, N).T)
    rows = [_stats(k, dr, dd) for k, dr, dd in zip(k_values, diff_r, diff_rand, strict=True)]
    return PixelFlippingResult(
        k_values=k_values,
        diff_r=torch.stack(diff_r),
        diff_random=torch.stack(diff_rand),
        first_order_r=torch.stack(first),
        up_flips=torch.stack(ups),
        r1=r1,
        rows=rows,
        flips=flips,
        n_flipped=torch.stack(counts),
    )


def _flip_candidates(x: Tensor, steps: Tensor, cand: Tensor, high: float) -> Tensor:
    """:func:`flip_pixels` at those of the chosen ``steps`` that are candidates (the top k of a
    masked ranking runs past the candidates when a sequence has fewer than k)."""
    keep = torch.gather(cand, 1, steps)
    mask = torch.zeros(x.shape[:2], dtype=torch.bool).scatter(1, steps, keep)
    return torch.where(mask.unsqueeze(-1), flip_pixels(x, steps, high), x)
