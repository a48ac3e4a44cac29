"""The report of a robustness evaluation (``neurodyn robustness``): the Table-3 row of
Erichson et al. 2021, the noise curves (Fig. 3), the PGD attacks and the Hessian numbers with
the loss landscape (Fig. 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from neurodyn.report._format import fmt
from neurodyn.report._report import Report

if TYPE_CHECKING:
    from neurodyn.robustness import RobustnessResult

__all__ = ["robustness_report"]


def robustness_report(result: RobustnessResult, *, title: str | None = None) -> Report:
    """``result`` (:func:`neurodyn.robustness.robustness`) as a :class:`Report`; ``data`` is
    ``result.to_dict()`` (the JSON keeps every accuracy of every draw).

    Sections: a summary, the Table-3 row (clean accuracy, accuracy under each PGD attack,
    λ_max(H), tr(H) ± s.e., κ(H); Erichson et al. 2021, Table 3), the input-noise table and
    figure (mean ± s.e. over draws, Fig. 3), the attacks, and the Hessian of the loss over the
    selected parameters with the landscape L̃(η₁, η₂) along its two top eigenvectors (eq. 22,
    Fig. 4).

    Example:
        >>> from neurodyn.data import load
        >>> from neurodyn.robustness import robustness
        >>> from neurodyn.train import build_model
        >>> m = build_model("lipschitz", 1, 10, hidden_size=4, seed=0)
        >>> r = robustness(m, load("digits", "test"), noise_levels={"gaussian": [0, 0.2]},
        ...                draws=2, pgd=None, hessian=None)
        >>> rep = robustness_report(r)
        >>> rep.data["clean_accuracy"] == r.clean_accuracy, rep.figure_names
        (True, ['noise.png'])
    """
    from neurodyn.robustness import landscape_figure, noise_figure

    r = result
    rep = Report(title or f"neurodyn robustness: {r.model} on {r.task}", data=r.to_dict())
    rep.section("Summary")
    rows = [
        ["model", r.model],
        ["trainable parameters", r.n_params],
        ["task", r.task],
        ["evaluation sequences", r.n_test],
        ["clean accuracy", r.clean_accuracy],
        ["seed (noise draws, PGD random starts, Hessian probes)", r.seed],
    ]
    rows += [[k, v if isinstance(v, int | float | str | bool) or v is None else str(v)]
             for k, v in r.info.items() if not isinstance(v, dict)]  # fmt: skip
    rep.table(rows, columns=["quantity", "value"])

    row = r.row()
    attacks = [k for k in row if k.startswith("PGD")]
    h = r.hessian
    kappa = _kappa_words(h) if h is not None else row["kappa"]
    rep.section("Table-3 row (Erichson et al. 2021, Table 3)")
    rep.table(
        [[row["model"], row["clean"], *(row[a] for a in attacks), row["lambda_max"],
          row["trace"], row["trace_stderr"], kappa]],
        columns=["model", "clean acc", *(f"{a} acc" for a in attacks), "λ_max(H)", "tr(H)",
                 "± s.e.", "κ(H)"],
        precision=[None, None, *(None for _ in attacks), None, "± s.e.", None, None],
        caption="Accuracies as fractions; NaN where not computed (--no-hessian, no attacks). "
        "κ(H) = λ_max/λ_min as the paper defines it, for H positive definite (a minimum); "
        "where λ_min ≤ 0 θ is not at a minimum and κ is not a condition number, so none is "
        "shown (the JSON keeps the ratio).",
    )  # fmt: skip

    if r.noise:
        rep.section("Input noise (Erichson et al. 2021, Sec. 6.4, Fig. 3)")
        noise_rows = []
        for c in r.noise:
            for lv, m, s in zip(c.levels.tolist(), c.mean.tolist(), c.stderr.tolist(),
                                strict=True):  # fmt: skip
                noise_rows.append([c.kind, lv, m, s])
        draws = sorted({c.draws for c in r.noise})
        rep.table(
            noise_rows,
            columns=["noise", "level", "accuracy", "± s.e."],
            precision=[None, None, "± s.e.", "± s.e."],
            caption=f"Mean accuracy over {', '.join(map(str, draws))} noise draws per level, "
            "± standard error across draws. Gaussian: level = std σ; salt and pepper: level = "
            "fraction α of corrupted inputs.",
        )
        rep.figure(lambda: noise_figure({r.model: r.noise}), "noise.png",
                   "Test accuracy ± s.e. against the noise level.", wide=True)  # fmt: skip

    if r.pgd:
        rep.section("Adversarial inputs (PGD, Erichson et al. 2021, eq. 20)")
        rep.table(
            [[p.label, p.norm, p.eps, p.step, p.steps, p.random_start, p.clean_accuracy,
              p.accuracy, p.loss] for p in r.pgd],
            columns=["attack", "norm", "radius ε", "step", "steps", "random start",
                     "clean acc", "acc under attack", "loss under attack"],
        )  # fmt: skip

    if r.deepfool:
        rep.section("Adversarial inputs (DeepFool, Moosavi-Dezfooli et al. 2016)")
        rep.table(
            [[p.label, p.norm, p.eps, p.steps, p.overshoot, p.clean_accuracy, p.accuracy,
              p.fooled, p.mean_norm, p.rho] for p in r.deepfool],
            columns=["attack", "norm", "radius ε", "iterations", "overshoot η", "clean acc",
                     "acc in the ε-ball", "fooled (no budget)", "mean ‖r‖", "ρ = ‖r‖/‖x‖"],
        )  # fmt: skip
        rep.text(
            "Accuracy in the ε-ball: the DeepFool perturbation projected onto the ball of "
            "radius ε, as Erichson et al. 2021 report DF₂/DF∞ in Table 3; fooled, mean ‖r‖ and ρ "
            "(Moosavi-Dezfooli et al. 2016, eq. 15) are DeepFool's own minimal perturbations, "
            "without a budget, over the correctly classified examples it fools."
        )

    rep.section("Hessian of the loss (Erichson et al. 2021, Sec. 6.4, eq. 21–22)")
    if h is None:
        rep.text("Not computed (--no-hessian).")
        return rep
    rep.table(
        [
            ["parameters θ", f"{h.n_params} ({', '.join(h.params)})"],
            ["loss batch (training examples)", h.samples],
            ["loss L(θ) (nats per sequence)", h.loss],
            ["λ_max (Lanczos)", h.lambda_max],
            ["λ_min (Lanczos)", h.lambda_min],
            ["κ(H) = λ_max/λ_min", _kappa_words(h)],
            ["largest |λ| (power iteration)", f"{fmt(h.power_lambda)} "
             f"({h.power_iterations} iterations)"],
            ["tr(H) (Hutchinson)", f"{fmt(h.trace, h.trace_stderr)} ± "
             f"{fmt(h.trace_stderr, digits=2)} ({h.probes} probes)"],
        ],
        columns=["quantity", "value"],
        caption="λ_max and tr(H) measure sharpness: smaller means the loss changes less when "
        "the weights are perturbed.",
    )  # fmt: skip
    if h.lambda_min <= 0:
        rep.text(
            f"λ_min = {fmt(h.lambda_min)} ≤ 0: the Hessian is not positive definite, so the "
            "trained θ is not at a minimum of the loss on this batch (a saddle, a flat "
            "direction, or training not converged). κ(H) = λ_max/λ_min "
            f"(= {fmt(h.kappa)} here) measures conditioning only at a minimum, so it is not "
            "reported as one; λ_max and tr(H) still measure the curvature."
        )
    if h.landscape is not None:
        rep.figure(
            lambda: landscape_figure(
                h.eta1, h.eta2, h.landscape,
                title=f"{r.model}: loss along the two top Hessian eigenvectors "
                "(Erichson et al. 2021, eq. 22, Fig. 4)",
            ),
            "landscape.png",
            "L̃(η₁, η₂) = L(θ + η₁v₁ + η₂v₂) with v₁, v₂ the unit eigenvectors of the two "
            "largest Hessian eigenvalues; the star is the trained θ.",
            wide=True,
        )  # fmt: skip
    return rep


def _kappa_words(h) -> float | str:
    """κ(H) where it is a condition number (λ_min > 0), else why it is not one."""
    if h.at_minimum or h.lambda_min != h.lambda_min:
        return h.kappa
    return f"none: {h.kappa_text().removeprefix('not at a minimum (')[:-1]} ≤ 0, not at a minimum"
