"""DeepFool in ℓ2 and ℓ∞ (Moosavi-Dezfooli et al. 2016, Alg. 2 and Sec. 3.2), the DF₂ and DF∞
columns of Erichson et al. 2021, Table 3.

One iteration at x_i, per example, with k₀ the model's label at x₀ and, for every k ≠ k₀,
``w'_k = ∇f_k(x_i) − ∇f_{k₀}(x_i)`` and ``f'_k = f_k(x_i) − f_{k₀}(x_i)``:

* ℓ2 (Alg. 2): ``l = argmin_k |f'_k| / ‖w'_k‖₂``, ``r_i = |f'_l| / ‖w'_l‖₂² · w'_l``;
* ℓ∞ (Sec. 3.2, p = ∞ with its dual norm q = 1): ``l = argmin_k |f'_k| / ‖w'_k‖₁``,
  ``r_i = |f'_l| / ‖w'_l‖₁ · sign(w'_l)``;

``r = Σ r_i`` and ``x_{i+1} = x₀ + (1 + η)·r`` with the overshoot η = 0.02 of the paper
(applied at every iterate, as the authors' code does), clipped to the valid input range when one
is given; the loop stops for an example as soon as its label changes, or after ``steps``
iterations. For an affine classifier f(x) = Wx + b one step is exact: ``‖r‖_p`` is the distance
``|f'_l| / ‖w'_l‖_q`` to the closest decision boundary (q the dual norm), and the returned
perturbation has norm (1 + η) times it.

Erichson et al. 2021 (Sec. 6.4, eq. 20) report DeepFool like PGD: the accuracy under the attack
with the perturbation limited to a norm ball of radius r, using 7 iterations. So
:func:`deepfool_robustness` projects the DeepFool perturbation onto the ε-ball (ℓ2: rescaled;
ℓ∞: clamped) and reports the accuracy there (an example is broken when the projected point is
misclassified), and beside it the budget-free numbers of Moosavi-Dezfooli et al.: the fraction of
examples DeepFool fools within ``steps`` iterations and the mean minimal perturbation ‖r‖_p and
ρ = mean ‖r‖_p/‖x‖_p (their eq. 15) over the fooled ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn._core import json_float, register_result
from neurodyn.robustness._pgd import _project, attack_label

__all__ = ["DeepFoolResult", "deepfool_attack", "deepfool_robustness"]

NORMS = ("l2", "linf")


def _check(norm: str, steps: int, overshoot: float, eps: float | None = None) -> None:
    if norm not in NORMS:
        raise ValueError(f"DeepFool norm must be 'l2' or 'linf', got {norm!r}.")
    if steps < 1 or not overshoot >= 0:
        raise ValueError(f"DeepFool needs steps ≥ 1 and overshoot ≥ 0, got {steps}, {overshoot}.")
    if eps is not None and not eps > 0:
        raise ValueError(f"DeepFool's budget eps must be > 0, got {eps}.")


def _norm(t: Tensor, p: float) -> Tensor:
    """Per-example ``p``-norm over all but the first dimension -> (B,)."""
    return t.flatten(1).norm(p=p, dim=1)


def _class_gradients(model: nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """``(logits (B, C), grads (B, C, *x.shape[1:]))``: the gradient of every class logit of
    every example, one backward per class (the examples are independent in eval mode, so the
    gradient of the batch sum of logit c is each example's own)."""
    x = x.detach().requires_grad_(True)
    out = model(x)
    if out.dim() != 2:
        raise ValueError(f"DeepFool needs logits of shape (B, classes), got {tuple(out.shape)}.")
    c = out.shape[1]
    grads = [torch.autograd.grad(out[:, k].sum(), x, retain_graph=k < c - 1)[0] for k in range(c)]
    return out.detach(), torch.stack(grads, 1)


def deepfool_attack(
    model: nn.Module,
    x: Tensor,
    *,
    norm: str = "l2",
    steps: int = 50,
    overshoot: float = 0.02,
    clip: tuple[float, float] | None = (0.0, 1.0),
) -> tuple[Tensor, Tensor]:
    """DeepFool adversarial examples for a batch ``x`` (module docstring for the update).

    Args:
        model: ``model(x (B, ...)) -> logits (B, C)``; run in eval mode (restored after); its
            parameters' ``.grad`` are not touched.
        norm: ``"l2"`` (Moosavi-Dezfooli et al. 2016, Alg. 2) or ``"linf"`` (their Sec. 3.2).
        steps: the most iterations (their code: 50; Erichson et al. 2021: 7).
        overshoot: η, the final perturbation is (1 + η)·r (the paper: 0.02).
        clip: (low, high) valid input range; None for none (then the linear case is exact).

    Returns:
        ``(x_adv, fooled)``: ``x_adv`` (detached, x's shape) and ``fooled`` (B,) bool, whether
        the model's label at ``x_adv`` differs from its label at ``x``. Examples that are not
        fooled within ``steps`` keep their last iterate.
    """
    _check(norm, steps, overshoot)
    was = model.training
    model.eval()
    x0 = x.detach()
    bshape = (-1, *([1] * (x0.dim() - 1)))
    try:
        with torch.no_grad():
            k0 = model(x0).argmax(-1)
        r_tot = torch.zeros_like(x0)
        x_adv = x0.clone()
        active = torch.ones(x0.shape[0], dtype=torch.bool)
        rows = torch.arange(x0.shape[0])
        for _ in range(steps):
            idx = rows[active]
            if idx.numel() == 0:
                break
            out, g = _class_gradients(model, x_adv[idx])
            k = k0[idx]
            fooled_now = out.argmax(-1) != k
            if bool(fooled_now.any()):  # only at the start: x_adv fools when it is set below
                active[idx[fooled_now]] = False
                idx, out, g, k = idx[~fooled_now], out[~fooled_now], g[~fooled_now], k[~fooled_now]
                if idx.numel() == 0:
                    break
            b = torch.arange(idx.numel())
            fp = out - out[b, k][:, None]  # (b, C): f'_k
            wp = g - g[b, k][:, None]  # (b, C, ...): w'_k
            wn = wp.flatten(2).norm(p=1 if norm == "linf" else 2, dim=2)  # ‖w'_k‖_q
            ratio = fp.abs() / wn
            ratio[b, k] = float("inf")  # k ≠ k₀
            ratio = torch.where(wn > 0, ratio, torch.full_like(ratio, float("inf")))
            dist, best = ratio.min(dim=1)
            stuck = ~torch.isfinite(dist)  # every other logit has the same gradient: no move
            w = wp[b, best]
            if norm == "l2":
                step = (dist / wn[b, best]).reshape(bshape) * w
            else:
                step = dist.reshape(bshape) * w.sign()
            step = torch.where(stuck.reshape(bshape), torch.zeros_like(step), step)
            r_tot[idx] = r_tot[idx] + step
            xn = x0[idx] + (1 + overshoot) * r_tot[idx]
            x_adv[idx] = xn if clip is None else xn.clamp(*clip)
            if bool(stuck.any()):
                active[idx[stuck]] = False
        with torch.no_grad():
            fooled = model(x_adv).argmax(-1) != k0
    finally:
        model.train(was)
    return x_adv.detach(), fooled


@register_result
@dataclass(frozen=True)
class DeepFoolResult:
    """Accuracy under a DeepFool attack limited to an ε-ball (Erichson et al. 2021, Table 3,
    columns DF₂ and DF∞) and DeepFool's minimal perturbations (Moosavi-Dezfooli et al. 2016).

    Attributes:
        norm, eps, steps, overshoot, clip: the attack (:func:`deepfool_robustness`).
        n: examples attacked; clean_accuracy: accuracy without perturbation;
        accuracy: accuracy with the DeepFool perturbation projected onto the ε-ball.
        fooled: fraction of the correctly classified examples that DeepFool fools within
            ``steps`` (no budget); mean_norm: mean ‖r‖_p of their perturbations; rho: mean
            ‖r‖_p / ‖x‖_p (Moosavi-Dezfooli et al. 2016, eq. 15); NaN when none was fooled.
    """

    norm: str
    eps: float
    steps: int
    overshoot: float
    clip: tuple[float, float] | None
    n: int
    clean_accuracy: float
    accuracy: float
    fooled: float
    mean_norm: float
    rho: float

    @property
    def label(self) -> str:
        return attack_label("DF", self.norm, self.eps)

    def to_dict(self) -> dict:
        return {
            "result_type": "DeepFoolResult",
            "norm": self.norm,
            "eps": self.eps,
            "steps": self.steps,
            "overshoot": self.overshoot,
            "clip": None if self.clip is None else list(self.clip),
            "n": self.n,
            **{k: json_float(getattr(self, k)) for k in _FLOATS},
        }

    @classmethod
    def from_dict(cls, d: dict) -> DeepFoolResult:
        """Inverse of :meth:`to_dict`."""
        from neurodyn._core import from_json_float

        f = {k: float(from_json_float(d[k])) for k in _FLOATS}
        clip = None if d.get("clip") is None else tuple(d["clip"])
        return cls(d["norm"], float(d["eps"]), int(d["steps"]), float(d["overshoot"]), clip,
                   int(d["n"]), **f)  # fmt: skip


_FLOATS = ("clean_accuracy", "accuracy", "fooled", "mean_norm", "rho")


def deepfool_robustness(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    norm: str = "l2",
    eps: float = 0.05,
    steps: int = 7,
    overshoot: float = 0.02,
    clip: tuple[float, float] | None = (0.0, 1.0),
    batch_size: int = 256,
) -> DeepFoolResult:
    """Accuracy of ``model`` on ``(x, y)`` under :func:`deepfool_attack` with the perturbation
    projected onto the ε-ball of ``norm`` (then clipped to ``clip``), and DeepFool's minimal
    perturbations (:class:`DeepFoolResult`), in batches of ``batch_size``. Defaults: the 7
    iterations of Erichson et al. 2021, Sec. 6.4 and the overshoot 0.02 of Moosavi-Dezfooli et
    al. 2016; ε = 0.05 as for PGD (the paper gives no radius). An example misclassified without
    perturbation counts as misclassified under attack (as torchattacks' DeepFool returns it
    unchanged): DeepFool moves away from the model's own label, which for such an example can
    be toward the true one, and would otherwise raise the accuracy above the clean one.

    Example:
        >>> import torch
        >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 3))
        >>> x, y = torch.rand(20, 3, 2), torch.randint(0, 3, (20,))
        >>> r = deepfool_robustness(model, x, y, norm="linf", eps=0.05, clip=None)
        >>> r.accuracy <= r.clean_accuracy
        True
    """
    _check(norm, steps, overshoot, eps)
    p = float("inf") if norm == "linf" else 2.0
    hits = hits0 = n_ok = n_fooled = 0
    norms, rhos = [], []
    was = model.training
    model.eval()
    try:
        for i in range(0, x.shape[0], batch_size):
            xb, yb = x[i : i + batch_size].detach(), y[i : i + batch_size]
            xa, fooled = deepfool_attack(model, xb, norm=norm, steps=steps, overshoot=overshoot,
                                         clip=clip)  # fmt: skip
            delta = xa - xb
            xe = xb + _project(delta, norm, eps)
            if clip is not None:
                xe = xe.clamp(*clip)
            with torch.no_grad():
                ok = model(xb).argmax(-1) == yb
                hits0 += int(ok.sum())
                # an example the model already gets wrong counts as broken, unperturbed: DeepFool
                # pushes away from the model's label, which for it can be toward the true one
                hits += int(((model(xe).argmax(-1) == yb) & ok).sum())
            sel = ok & fooled
            n_ok, n_fooled = n_ok + int(ok.sum()), n_fooled + int(sel.sum())
            dn = _norm(delta[sel], p)
            norms.append(dn)
            rhos.append(dn / _norm(xb[sel], p).clamp_min(torch.finfo(xb.dtype).tiny))
    finally:
        model.train(was)
    n = int(x.shape[0])
    nan = float("nan")
    dn, rh = torch.cat(norms), torch.cat(rhos)
    clip_t = None if clip is None else (float(clip[0]), float(clip[1]))
    return DeepFoolResult(
        norm, float(eps), int(steps), float(overshoot), clip_t, n, hits0 / n, hits / n,
        n_fooled / n_ok if n_ok else nan,
        float(dn.mean()) if dn.numel() else nan,
        float(rh.mean()) if rh.numel() else nan,
    )  # fmt: skip
