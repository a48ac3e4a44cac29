"""Stability and dissipativity certificates for feedforward nets used as x_{t+1} = f(x_t).

Each certificate is a :class:`Certificate` whose ``kind`` says what its ``holds`` means:

* ``"proof"`` — ``holds=True`` is a theorem for *every* x ∈ ℝⁿ under the listed assumptions;
  the evidence holds the numbers a reader needs to check it by hand (layer norms, bounds).
* ``"sampled"`` — computed on a finite point set; ``holds=True`` only says no sampled point
  violated it. Nothing is claimed between samples.
* ``"heuristic"`` — the condition as a paper states it, where the paper's argument is
  wrong; kept for comparison with the paper, never as a guarantee.

Each certificate is one function (``_theorem6``, ``_norm_bounds``, ``_dissipativity``);
:func:`certify` composes them. A certificate's ``conclusion`` follows its verdict: when it fails,
it says what was found and that nothing is concluded. What is implemented and why (details and
counterexamples in ``docs/certificates.md``):

* Drgoňa et al., Spectral analysis, Thm. 6 "necessary condition" (ρ(A*(x)) ≤ 1 ∀x) — sampled, and
  not actually necessary: f(x) = −3·relu(x) − 0.1·relu(−x) has ρ(A*(x)) = 3 for x > 0 yet every
  trajectory converges to 0 (|f(f(x))| ≤ 0.3|x|). Reported as a diagnostic.
* Drgoňa et al., Spectral analysis, Thm. 6 "sufficient condition" (ρ(W_i) ≤ 1, |Λ| ≤ 1) —
  heuristic: it rests on ρ(AB) ≤ ρ(A)ρ(B), false for non-commuting matrices (A = [[0,1],[0,0]],
  B = Aᵀ: ρ(A) = ρ(B) = 0, ρ(AB) = 1).
* Drgoňa et al., Dissipative, Cor. 4 (‖W_i‖₂ < 1 ∀i, |Λ| ≤ 1) — proof, by submultiplicativity of
  ‖·‖₂: ‖A*(x)‖₂ ≤ ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 for all x.
* the norm-product bound q = ∏‖W_i‖₂ ∏ sup|Λ_i| < 1 — proof; Cor. 4 is its special case.
  Then ‖x_{t+1}‖ ≤ q‖x_t‖ + β with β ≥ sup_x ‖b*(x)‖ (bounded layer by layer), so every
  trajectory enters the ball ‖x‖ ≤ β/(1 − q) (Drgoňa et al., Dissipative, Thm. 1 globally); with
  β = 0 the origin is globally exponentially stable.
* the Lipschitz (Banach) contraction bound L = ∏‖W_i‖₂ ∏ Lip(σ_i) < 1 — proof: f is a
  contraction, so it has exactly one fixed point and every trajectory converges to it at rate Lᵗ.
* Drgoňa et al., Dissipative, Thm. 1 dissipativity over a region (max ‖A*(x)‖₂ < 1 on the region) —
  sampled.
* Drgoňa et al., Dissipative, Cor. 3 equilibrium-norm bounds — sampled: evaluated at the equilibria
  found; the paper writes them at a general x, but the derivation ((I − A*(x̄)) x̄ = b*(x̄)) only
  holds at x = x̄.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from neurodyn._core import Box, CertificateReport, Progress, notify
from neurodyn._core._validate import check_batch, prepare_model
from neurodyn.pwa import AffineLayer, linearize, parse_network
from neurodyn.stability._bounds import layer_bounds
from neurodyn.stability._dissipativity import dissipativity, equilibrium_bounds
from neurodyn.stability._exact import dissipativity_exact, exact_regions, theorem6_exact
from neurodyn.stability._norm_bounds import corollary4, lipschitz_contraction, norm_product
from neurodyn.stability._sampling import sample_domain, sample_points
from neurodyn.stability._theorem6 import (
    _NOT_NECESSARY,
    not_applicable,
    theorem6_necessary,
    theorem6_sufficient,
)

__all__ = ["certify", "sample_domain"]


@torch.no_grad()
def certify(
    net: nn.Module,
    domain: Tensor | Box | Sequence[tuple[float, float]],
    *,
    resolution: int = 101,
    samples: int = 10000,
    seed: int = 0,
    equilibria: Tensor | None = None,
    exact: bool = False,
    max_regions: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
) -> CertificateReport:
    """Check the stability and dissipativity conditions of Drgoňa et al., Spectral analysis and
    Drgoňa et al., Dissipative for ``net``.

    Args:
        net: feedforward network accepted by :func:`neurodyn.linearize`; square (n → n) for the
            conditions about x_{t+1} = f(x_t).
        domain: ``(B, n)`` points, or a box (a :class:`neurodyn.dynamics.Box` or
            ``[(low, high), …]``, sampled, see :func:`sample_domain`); the sampled certificates
            are evaluated there.
        equilibria: ``(K, n)`` fixed points for the Cor. 3 bounds; by default found by
            :func:`neurodyn.dynamics.fixed_points` from up to 400 domain points (square nets).
        exact: for a box and a piecewise-linear net whose pieces pass through (0, σ(0)) (ReLU,
            LeakyReLU, PReLU, RReLU, Hardshrink), take ``theorem6_necessary`` and
            ``dissipativity`` as maxima over every linear region meeting the box
            (:func:`neurodyn.pwa.linear_regions`): kind "proof" over the box, margins
            1 − max ρ and 1 − max ‖A*‖₂ (rounded up), evidence naming the maximising region.
            A budget that stops the enumeration leaves them "sampled".
        max_regions, time_limit: budget of that enumeration (``exact=True`` only).
        progress: ``progress(done, total)`` (the :class:`neurodyn._core.Progress` protocol):
            over the chunks of sampled points, then the region enumeration when ``exact``.

    Returns:
        :class:`CertificateReport` with, in order: ``theorem6_necessary`` (sampled),
        ``theorem6_sufficient`` (heuristic), ``corollary4`` (proof), ``norm_product``
        (proof), ``lipschitz_contraction`` (proof), ``dissipativity`` (sampled) and
        ``equilibrium_bounds`` (evaluated at equilibria). ``worst_point`` evidence breaks exact
        ties by the first drawn point, else the lexicographically smallest grid point.

    Raises:
        ValueError: no ``nn.Linear`` layer, a NaN/inf parameter (named), or a bad domain (see
            :func:`sample_domain`; empty or non-finite points are named);
            with ``exact=True``: a domain that is not a box, a smooth activation (A*(x) varies
            continuously, so there is no finite set of regions to maximise over), or a
            piecewise-linear activation whose pieces miss (0, σ(0)) (Hardtanh: A*(x) varies
            inside each region).

    Example:
        >>> import torch, neurodyn
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()).double()
        >>> report = neurodyn.certify(net, [(-1, 1), (-1, 1)], resolution=11)
        >>> [c.name for c in report][:2]
        ['theorem6_necessary', 'theorem6_sufficient']
    """
    net, domain, equilibria = prepare_model(net, domain, equilibria, what="certify")
    if isinstance(domain, Tensor) and domain.ndim == 2:
        check_batch(domain, "domain")
    layers = parse_network(net)
    affine = [layer for layer in layers if isinstance(layer, AffineLayer)]
    if not affine:
        raise ValueError("certify: the network has no nn.Linear layer.")
    n_in, n_out = affine[0].weight.shape[1], affine[-1].weight.shape[0]
    ref = affine[0].weight
    pts, record, n_random = sample_points(
        domain, dim=n_in, resolution=resolution, samples=samples, seed=seed, dtype=ref.dtype
    )
    pts = pts.to(dtype=ref.dtype, device=ref.device)
    square = n_in == n_out
    regs = None
    if exact:
        if isinstance(domain, Tensor):
            raise ValueError(
                "certify(exact=True) needs a box ([(low, high), …] or a Box), not points: the "
                "exact maxima are over every linear region that meets the box."
            )
        regs = exact_regions(
            net,
            Box.coerce(domain),
            max_regions=max_regions,
            time_limit=time_limit,
            progress=progress,
        )
    bounds = layer_bounds(layers)
    complete = False
    if regs is not None and square and equilibria is None and not regs.partial:
        try:
            fps = regs.fixed_points()
        except ValueError:  # a continuum of fixed points in some region: Newton's sample
            fps = None
        if fps is not None:
            complete = True
            equilibria = (
                torch.stack([p.x for p in fps]).to(ref.dtype)
                if fps
                else torch.zeros(0, n_in, dtype=ref.dtype)
            )
    if regs is not None:
        exact_record = {"type": "box", "box": record["box"], "exact": True}
        t6 = theorem6_exact(net, regs, square, exact_record, _NOT_NECESSARY)
        if t6 is None:
            t6 = not_applicable(
                "theorem6_necessary",
                "proof",
                "spectral radius of A*(x) over the regions.",
                n_in,
                n_out,
            )
        diss = dissipativity_exact(net, regs, square, exact_record)
    else:
        pieces = list(torch.split(pts, 1 << 16))
        total = len(pieces) + 1
        As, bs = [], []
        for k, piece in enumerate(pieces):
            form = linearize(net, piece)
            As.append(form.A)
            bs.append(form.b)
            notify(progress, k + 1, total)
        A, b = torch.cat(As), torch.cat(bs)
        t6 = theorem6_necessary(A if square else None, pts, record, n_random, (n_in, n_out))
        diss = dissipativity(A, b, pts, record, n_random, square)
    certs = (
        t6,
        theorem6_sufficient(bounds),
        corollary4(bounds),
        norm_product(bounds, square),
        lipschitz_contraction(bounds, square),
        diss,
        equilibrium_bounds(net, pts, square, equilibria, complete),
    )
    if regs is None:
        notify(progress, total, total)  # after the equilibria
    return CertificateReport(certs, record)
