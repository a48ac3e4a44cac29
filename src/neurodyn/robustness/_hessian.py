"""The Hessian of the training loss with respect to the recurrent weights (Erichson et al. 2021,
Sec. 6.4, eq. 21), seen only through Hessian-vector products.

``H_ij = ∂²L/∂θ_i∂θ_j`` at the current weights, ``L`` the mean cross-entropy of the model over a
fixed batch (the loss used for training), ``θ`` a chosen subset of the parameters. From products
``v ↦ Hv`` (:class:`HessianOperator`):

* λ_max by power iteration (:func:`power_iteration`; it converges to the eigenvalue of largest
  *magnitude*, which is how PyHessian, Yao et al. 2019, reports λ_max);
* tr(H) by Hutchinson's estimator with Rademacher probes, ``tr H = E[zᵀHz]``, with its standard
  error (:func:`hutchinson_trace`);
* the extreme eigenvalues by Lanczos (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``),
  and κ(H) = λ_max/λ_min exactly as Erichson et al. 2021, Sec. 6.4 define it;
* the loss landscape along the two dominant eigenvectors (Erichson et al. 2021, eq. 22, Fig. 4).

How the products are formed: reverse-over-reverse (double backward) with ``torch.func``,
``_, hvp = torch.func.vjp(torch.func.grad(loss), θ)``: H is symmetric, so the vector-Jacobian
product of the gradient is Hv. It is chosen over forward-over-reverse (``jvp`` of ``grad``)
because (1) the fused CPU kernel of ``torch.nn.LSTM`` (``mkldnn_rnn_layer``, torch 2.x) has no
forward-mode derivative, while its double backward works, and (2) ``vjp`` records the forward and
backward pass once, so every further product is a single backward pass through that graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from neurodyn._core import json_float, register_result, tensor_from_json, tensor_to_json

__all__ = [
    "HessianOperator",
    "HessianResult",
    "hessian_analysis",
    "hutchinson_trace",
    "lanczos_extremes",
    "loss_landscape",
    "power_iteration",
    "select_parameters",
]

#: name fragments of body parameters that are not hidden-to-hidden weights
_NOT_RECURRENT = ("weight_ih", "bias", "input_layer", "output_layer", "readout")


def select_parameters(model: nn.Module, which: str | Sequence[str] = "recurrent") -> list[str]:
    """Names (as in ``model.named_parameters()``) of the parameters the Hessian is taken over.

    Args:
        which: ``"recurrent"`` (default): the hidden-to-hidden weights of ``model.body`` (every
            body parameter except input weights ``weight_ih``/``input_layer``, biases and output
            layers: ``weight_hh_l0`` of ``nn.LSTM``, A and W of the Lipschitz RNN, the coupling
            of a Sparse Combo Net); ``"body"``: every parameter of ``model.body`` (Erichson et al.
            2021, Sec. 6.4 take θ = {A, W, U}, the recurrent unit's weights; ``"body"`` adds its
            bias); ``"all"``: every trainable parameter; or a list of parameter names.

    Raises:
        ValueError: an unknown name (lists the model's), or an empty selection.
    """
    named = {k: p for k, p in model.named_parameters() if p.requires_grad and p.numel() > 0}
    if isinstance(which, str):
        prefix = "body." if hasattr(model, "body") else ""
        if which == "all":
            names = list(named)
        elif which == "body":
            names = [k for k in named if k.startswith(prefix)]
        elif which == "recurrent":
            names = [
                k for k in named if k.startswith(prefix) and not any(s in k for s in _NOT_RECURRENT)
            ]
        else:
            raise ValueError(
                f"params={which!r}: give 'recurrent', 'body', 'all' or a list of parameter names."
            )
    else:
        names = list(which)
        unknown = [k for k in names if k not in named]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; the model has {list(named)}.")
    if not names:
        raise ValueError(
            f"params={which!r} selects no trainable parameter of this model (parameters: "
            f"{list(named)}); use params='body' or 'all'."
        )
    return names


class HessianOperator:
    """``v ↦ Hv`` for ``H = ∇²_θ L`` over flat vectors (see the module docstring for how).

    ``L(θ) = loss_fn(model(x), y)`` (default: mean cross-entropy), evaluated with the model in
    eval mode; ``θ`` the parameters named by ``params`` (:func:`select_parameters`), the others
    held at their values. Vectors are flattened in the order of :attr:`names`.

    Args:
        model: ``model(x) -> logits (B, C)``.
        x: ``(B, T, F)`` inputs; y: ``(B,)`` labels.

    Attributes:
        names, shapes: the parameters and their shapes; n: their total size K (H is K × K).
        loss: L at the current weights; grad: ∇L, flat ``(K,)``.
        calls: Hessian-vector products computed so far.
    """

    def __init__(
        self,
        model: nn.Module,
        x: Tensor,
        y: Tensor,
        params: str | Sequence[str] = "recurrent",
        loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.cross_entropy,
    ):
        from torch.func import functional_call, grad, vjp

        self.names = select_parameters(model, params)
        base = {k: p.detach() for k, p in model.named_parameters()}
        theta = {k: base[k] for k in self.names}
        self.shapes = [tuple(theta[k].shape) for k in self.names]
        self.n = sum(theta[k].numel() for k in self.names)
        self.dtype = next(iter(theta.values())).dtype
        was_training = model.training
        model.eval()

        def loss(sub: dict) -> Tensor:
            return loss_fn(functional_call(model, {**base, **sub}, (x,)), y)

        try:
            with torch.no_grad():
                self.loss = float(loss(theta))
            g, self._vjp = vjp(grad(loss), theta)
        finally:
            model.train(was_training)
        self._model, self._loss, self._theta = model, loss, theta
        self.grad = self._flat(g).detach()
        self.calls = 0

    def _flat(self, d: dict) -> Tensor:
        return torch.cat([d[k].reshape(-1) for k in self.names])

    def _unflat(self, v: Tensor) -> dict:
        out, i = {}, 0
        for k, s in zip(self.names, self.shapes, strict=True):
            m = math.prod(s)
            out[k] = v[i : i + m].reshape(s)
            i += m
        return out

    def matvec(self, v: Tensor) -> Tensor:
        """``H v`` for a flat ``(K,)`` tensor (cast to the model's dtype)."""
        v = torch.as_tensor(v).to(self.dtype).reshape(-1)
        if v.numel() != self.n:
            raise ValueError(f"vector of size {v.numel()}, the Hessian is {self.n} × {self.n}.")
        self.calls += 1
        return self._flat(self._vjp(self._unflat(v))[0]).detach()

    def loss_at(self, v: Tensor) -> float:
        """``L(θ + v)`` for a flat displacement ``v`` (``(K,)``), model in eval mode."""
        shifted = {k: self._theta[k] + d for k, d in self._unflat(v.to(self.dtype)).items()}
        was_training = self._model.training
        self._model.eval()
        try:
            with torch.no_grad():
                return float(self._loss(shifted))
        finally:
            self._model.train(was_training)

    def linear_operator(self):
        """The operator as a float64 ``scipy.sparse.linalg.LinearOperator`` (K × K)."""
        from scipy.sparse.linalg import LinearOperator

        def mv(v):
            return self.matvec(torch.from_numpy(np.asarray(v, dtype=np.float64).ravel()))\
                .double().numpy()  # fmt: skip

        return LinearOperator((self.n, self.n), matvec=mv, dtype=np.float64)


def power_iteration(
    op: HessianOperator, *, iters: int = 100, tol: float = 1e-4, seed: int = 0
) -> tuple[float, Tensor, int]:
    """The eigenvalue of largest magnitude of H by power iteration, ``v ← Hv/‖Hv‖``.

    Stops when the Rayleigh quotient ``λ = vᵀHv`` changes by at most ``tol·|λ|`` between
    iterations, or after ``iters`` products. The error of λ after k iterations shrinks like
    ``(|λ₂|/|λ₁|)^{2k}`` (Golub & Van Loan, Sec. 8.2), so a near-degenerate top pair converges
    slowly; Lanczos (:func:`lanczos_extremes`) does not have that problem.

    Returns:
        ``(λ, v (K,), iterations)``, λ signed (negative if the dominant curvature is negative).
    """
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(op.n, generator=gen, dtype=torch.float64).to(op.dtype)
    v = v / v.norm()
    lam, it = 0.0, 0
    for it in range(1, iters + 1):
        w = op.matvec(v)
        new = float(v @ w)
        norm = float(w.norm())
        if norm == 0.0:
            return 0.0, v, it
        v = w / norm
        if it > 1 and abs(new - lam) <= tol * abs(new):
            lam = new
            break
        lam = new
    return lam, v, it


def hutchinson_trace(
    op: HessianOperator, *, probes: int = 100, seed: int = 0
) -> tuple[float, float]:
    """tr(H) by Hutchinson's estimator: the mean of ``zᵀHz`` over Rademacher probes z (±1).

    ``E[zᵀHz] = tr H`` and ``Var[zᵀHz] = 2 Σ_{i≠j} H_ij²`` (Hutchinson 1990; Avron & Toledo
    2011); the standard error returned is the sample standard deviation over √probes.

    Returns:
        ``(trace, standard error)``.
    """
    if probes < 2:
        raise ValueError(f"probes={probes}: need at least 2 for a standard error.")
    gen = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(probes):
        z = (torch.randint(0, 2, (op.n,), generator=gen) * 2 - 1).to(op.dtype)
        vals.append(float(z @ op.matvec(z)))
    a = np.asarray(vals)
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(probes))


def lanczos_extremes(
    op: HessianOperator, *, k: int = 2, tol: float = 1e-6, seed: int = 0, maxiter: int | None = None
) -> tuple[Tensor, Tensor, float]:
    """The ``k`` largest eigenpairs and the smallest eigenvalue of H (implicitly restarted
    Lanczos, ARPACK's ``eigsh`` with ``which="LA"`` and ``"SA"``, on float64 products).

    For K ≤ k + 2 (too small for ARPACK) H is formed column by column and ``numpy.linalg.eigh``
    used.

    Returns:
        ``(eigenvalues (k,) descending, eigenvectors (K, k) float64, λ_min)``.

    Raises:
        RuntimeError: ARPACK did not converge (raise ``maxiter`` or loosen ``tol``).
    """
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    k = min(int(k), op.n)
    if op.n <= k + 2:
        eye = torch.eye(op.n, dtype=torch.float64)
        H = torch.stack([op.matvec(e).double() for e in eye], dim=1).numpy()
        w, V = np.linalg.eigh((H + H.T) / 2)
        order = np.argsort(w)[::-1][:k]
        return torch.from_numpy(w[order].copy()), torch.from_numpy(V[:, order].copy()), float(w[0])
    A = op.linear_operator()
    v0 = np.random.default_rng(seed).standard_normal(op.n)
    try:
        w, V = eigsh(A, k=k, which="LA", tol=tol, v0=v0, maxiter=maxiter)
        wmin = eigsh(A, k=1, which="SA", tol=tol, v0=v0, maxiter=maxiter, return_eigenvectors=False)
    except ArpackNoConvergence as err:
        raise RuntimeError(
            f"Lanczos (scipy eigsh) did not converge on the {op.n}×{op.n} Hessian: {err}; "
            "raise maxiter= or loosen tol=."
        ) from None
    order = np.argsort(w)[::-1]
    return torch.from_numpy(w[order].copy()), torch.from_numpy(V[:, order].copy()), float(wmin[0])


def loss_landscape(
    op: HessianOperator, v1: Tensor, v2: Tensor, *, radius: float = 1.0, grid: int = 21
) -> tuple[Tensor, Tensor, Tensor]:
    """``L̃(η₁, η₂) = L(θ + η₁v₁ + η₂v₂)`` on a square grid (Erichson et al. 2021, eq. 22).

    ``v1``, ``v2``: flat ``(K,)`` directions (the two dominant unit eigenvectors); η runs over
    ``grid`` points in ``[−radius, radius]``. Returns ``(eta1 (G,), eta2 (G,), loss (G, G))``
    with ``loss[i, j] = L̃(eta1[i], eta2[j])``.
    """
    eta = torch.linspace(-radius, radius, grid, dtype=torch.float64)
    v1, v2 = v1.double().reshape(-1), v2.double().reshape(-1)
    vals = torch.empty(grid, grid, dtype=torch.float64)
    for i, a in enumerate(eta):
        for j, b in enumerate(eta):
            vals[i, j] = op.loss_at(a * v1 + b * v2)
    return eta, eta.clone(), vals


@register_result
@dataclass(frozen=True)
class HessianResult:
    """Hessian-based robustness metrics of one model (Erichson et al. 2021, Sec. 6.4, Table 3).

    Attributes:
        params: names of the parameters θ the Hessian is taken over; n_params: K.
        samples: examples in the loss batch; loss: L(θ) there.
        lambda_max, lambda_min: largest / smallest (signed) eigenvalue, Lanczos.
        kappa: λ_max/λ_min, as Erichson et al. 2021, Sec. 6.4 define κ(H) (negative when
            λ_min < 0, ±inf when λ_min = 0: the paper's definition assumes H positive definite).
        top_eigenvalues: the k largest eigenvalues (descending), Lanczos.
        power_lambda, power_iterations: the largest-magnitude eigenvalue by power iteration.
        trace, trace_stderr, probes: Hutchinson's tr(H) ± standard error and its probe count.
        eta1, eta2, landscape: the grid and ``L̃(η₁, η₂)`` (eq. 22) along the two top
            eigenvectors, or None when not computed.
    """

    params: tuple[str, ...]
    n_params: int
    samples: int
    loss: float
    lambda_max: float
    lambda_min: float
    kappa: float
    top_eigenvalues: Tensor
    power_lambda: float
    power_iterations: int
    trace: float
    trace_stderr: float
    probes: int
    eta1: Tensor | None = None
    eta2: Tensor | None = None
    landscape: Tensor | None = None

    @property
    def at_minimum(self) -> bool:
        """λ_min > 0: H is positive definite, θ a strict local minimum of the loss on this
        batch, and κ(H) a condition number. False at a saddle or flat direction (λ_min ≤ 0) and
        when λ_min is NaN."""
        return bool(self.lambda_min > 0)

    def kappa_text(self, digits: int = 4) -> str:
        """κ(H) as Table 3 prints it where it is a condition number; else why it is not one
        ("not at a minimum (λ_min = −0.03)"): a negative κ is not a number to compare."""
        if self.at_minimum:
            return f"{self.kappa:.{digits}g}"
        if self.lambda_min == self.lambda_min:
            return f"not at a minimum (λ_min = {self.lambda_min:.2g})"
        return "—"

    def to_dict(self) -> dict:
        d = {"result_type": "HessianResult", "params": list(self.params)}
        for f in ("n_params", "samples", "power_iterations", "probes"):
            d[f] = int(getattr(self, f))
        for f in ("loss", "lambda_max", "lambda_min", "kappa", "power_lambda", "trace",
                  "trace_stderr"):  # fmt: skip
            d[f] = json_float(getattr(self, f))
        for f in ("top_eigenvalues", "eta1", "eta2", "landscape"):
            d[f] = tensor_to_json(getattr(self, f))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> HessianResult:
        """Inverse of :meth:`to_dict`."""
        from neurodyn._core import from_json_float

        kw = {f: int(d[f]) for f in ("n_params", "samples", "power_iterations", "probes")}
        for f in ("loss", "lambda_max", "lambda_min", "kappa", "power_lambda", "trace",
                  "trace_stderr"):  # fmt: skip
            kw[f] = float(from_json_float(d[f]))
        for f in ("top_eigenvalues", "eta1", "eta2", "landscape"):
            kw[f] = tensor_from_json(d.get(f))
        return cls(params=tuple(d["params"]), **kw)

    def __repr__(self) -> str:
        return (
            f"HessianResult(K={self.n_params}, λ_max={self.lambda_max:.4g}, "
            f"tr={self.trace:.4g}±{self.trace_stderr:.2g}, κ={self.kappa:.4g})"
        )

    def plot(self, title: str | None = None):
        """The loss landscape (eq. 22, Fig. 4): filled contours and a surface, side by side."""
        from neurodyn.robustness._plots import landscape_figure

        if self.landscape is None:
            raise ValueError("no landscape in this result (hessian_analysis(landscape=False)).")
        return landscape_figure(self.eta1, self.eta2, self.landscape, title=title)


def hessian_analysis(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    params: str | Sequence[str] = "recurrent",
    top_k: int = 2,
    probes: int = 100,
    power_iters: int = 100,
    tol: float = 1e-4,
    landscape: bool = True,
    radius: float = 1.0,
    grid: int = 21,
    seed: int = 0,
) -> HessianResult:
    """λ_max, tr(H), κ(H) and the loss landscape of ``model`` at its current weights
    (Erichson et al. 2021, Sec. 6.4, eq. 21–22, Table 3, Fig. 4).

    Args:
        model: ``model(x (B, T, F)) -> logits (B, C)``, e.g. a ``SequenceClassifier``.
        x, y: the loss batch, ``(B, T, F)`` and ``(B,)`` (the paper uses the training loss).
        params: the parameter subset θ (:func:`select_parameters`).
        top_k: eigenpairs from Lanczos (≥ 2 for the landscape).
        probes: Rademacher probes of Hutchinson's trace.
        power_iters, tol: power-iteration budget and relative tolerance.
        landscape, radius, grid: the eq.-22 landscape on ``[−radius, radius]²`` (unit
            eigenvectors, so η is the distance moved along each).
        seed: seeds the power-iteration start, the probes and the Lanczos start vector.

    Example:
        >>> import torch
        >>> from neurodyn.train import build_model
        >>> m = build_model("lipschitz", 1, 3, hidden_size=4, seed=0)
        >>> x, y = torch.rand(8, 5, 1), torch.arange(8) % 3
        >>> r = hessian_analysis(m, x, y, probes=10, landscape=False)
        >>> r.n_params
        32
    """
    if landscape and (isinstance(grid, bool) or not isinstance(grid, int) or grid < 2):
        raise ValueError(
            f"hessian_analysis: grid must be an integer ≥ 2 (points per axis of the landscape), "
            f"got {grid!r}; pass landscape=False for no landscape."
        )
    op = HessianOperator(model, x, y, params)
    top, vecs, lam_min = lanczos_extremes(op, k=max(top_k, 2 if landscape else 1), seed=seed)
    lam_max = float(top[0])
    power, _, its = power_iteration(op, iters=power_iters, tol=tol, seed=seed)
    tr, se = hutchinson_trace(op, probes=probes, seed=seed)
    kappa = lam_max / lam_min if lam_min != 0 else math.copysign(math.inf, lam_max)
    eta1 = eta2 = grid_vals = None
    if landscape:
        if vecs.shape[1] < 2:
            raise ValueError("the landscape needs two eigenvectors; K = 1 here.")
        eta1, eta2, grid_vals = loss_landscape(op, vecs[:, 0], vecs[:, 1], radius=radius, grid=grid)
    return HessianResult(
        tuple(op.names), op.n, int(x.shape[0]), op.loss, lam_max, lam_min, kappa,
        top.double(), power, its, tr, se, probes, eta1, eta2, grid_vals,
    )  # fmt: skip
