"""One model's row of Erichson et al. 2021, Table 3 (plus the Fig. 3 noise curves and the
Fig. 4 landscape): :class:`RobustnessResult` and :func:`robustness`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from neurodyn._core import json_float, register_result
from neurodyn.robustness._deepfool import DeepFoolResult, deepfool_robustness
from neurodyn.robustness._hessian import HessianResult, hessian_analysis
from neurodyn.robustness._noise import NOISE_KINDS, NoiseCurve, accuracy, noise_robustness
from neurodyn.robustness._pgd import PGDResult, pgd_robustness

__all__ = ["DEFAULT_DEEPFOOL", "DEFAULT_PGD", "RobustnessResult", "robustness",
           "robustness_table"]  # fmt: skip

#: default attacks: 7 steps of 0.01 (Erichson et al. 2021, Sec. 6.4); the paper gives no radius
#: r, so ε = 0.05 (below the 7·0.01 = 0.07 the steps can reach, so the ball is active)
DEFAULT_PGD: tuple[dict, ...] = (
    {"norm": "linf", "eps": 0.05, "step": 0.01, "steps": 7},
    {"norm": "l2", "eps": 0.05, "step": 0.01, "steps": 7},
)
#: DF₂ and DF∞ of Table 3: DeepFool with 7 iterations (Sec. 6.4) and overshoot 0.02
#: (Moosavi-Dezfooli et al. 2016), limited to the same ε = 0.05 balls as :data:`DEFAULT_PGD`
DEFAULT_DEEPFOOL: tuple[dict, ...] = (
    {"norm": "l2", "eps": 0.05, "steps": 7, "overshoot": 0.02},
    {"norm": "linf", "eps": 0.05, "steps": 7, "overshoot": 0.02},
)


@register_result
@dataclass(frozen=True)
class RobustnessResult:
    """Input- and parameter-perturbation robustness of one model (Erichson et al. 2021,
    Sec. 6.4).

    Attributes:
        model: model name (e.g. ``"lipschitz"``); task: the task it was evaluated on.
        n_params: trainable parameters; n_test: examples of the evaluation set.
        clean_accuracy: accuracy without perturbation.
        noise: :class:`NoiseCurve` s (Fig. 3); pgd: :class:`PGDResult` s (Table 3, PGD);
        hessian: :class:`HessianResult` (Table 3, λ_max, tr, κ; Fig. 4) or None.
        deepfool: :class:`DeepFoolResult` s (Table 3, DF₂ and DF∞).
        seed: the seed of the noise draws, random starts and Hessian probes.
        info: anything else JSON-like (checkpoint, metadata).
    """

    model: str
    task: str
    n_params: int
    n_test: int
    clean_accuracy: float
    noise: tuple[NoiseCurve, ...] = ()
    pgd: tuple[PGDResult, ...] = ()
    hessian: HessianResult | None = None
    seed: int = 0
    info: dict = field(default_factory=dict)
    deepfool: tuple[DeepFoolResult, ...] = ()

    def row(self) -> dict:
        """The Table-3 row: model, clean accuracy, accuracy under each PGD and DeepFool attack,
        λ_max(H), tr(H) (± s.e.), κ(H) (NaN where not computed)."""
        nan = float("nan")
        h = self.hessian
        r = {"model": self.model, "clean": self.clean_accuracy}
        r.update({p.label: p.accuracy for p in self.pgd})
        r.update({p.label: p.accuracy for p in self.deepfool})
        r.update(
            {
                "lambda_max": h.lambda_max if h else nan,
                "trace": h.trace if h else nan,
                "trace_stderr": h.trace_stderr if h else nan,
                "kappa": h.kappa if h else nan,
            }
        )
        return r

    def to_dict(self) -> dict:
        return {
            "result_type": "RobustnessResult",
            "model": self.model,
            "task": self.task,
            "n_params": self.n_params,
            "n_test": self.n_test,
            "clean_accuracy": json_float(self.clean_accuracy),
            "noise": [c.to_dict() for c in self.noise],
            "pgd": [p.to_dict() for p in self.pgd],
            "hessian": None if self.hessian is None else self.hessian.to_dict(),
            "seed": self.seed,
            "info": dict(self.info),
            "deepfool": [p.to_dict() for p in self.deepfool],
            "row": {k: json_float(v) if isinstance(v, float) else v for k, v in self.row().items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> RobustnessResult:
        """Inverse of :meth:`to_dict`."""
        from neurodyn._core import from_json_float

        h = d.get("hessian")
        return cls(
            d["model"],
            d["task"],
            int(d["n_params"]),
            int(d["n_test"]),
            float(from_json_float(d["clean_accuracy"])),
            tuple(NoiseCurve.from_dict(c) for c in d.get("noise", [])),
            tuple(PGDResult.from_dict(p) for p in d.get("pgd", [])),
            None if h is None else HessianResult.from_dict(h),
            int(d.get("seed", 0)),
            dict(d.get("info", {})),
            tuple(DeepFoolResult.from_dict(p) for p in d.get("deepfool", [])),
        )

    def __repr__(self) -> str:
        return (
            f"RobustnessResult({self.model!r} on {self.task!r}, clean {self.clean_accuracy:.3f}"
            f", {len(self.noise)} noise curves, {len(self.pgd) + len(self.deepfool)} attacks, "
            f"hessian={'yes' if self.hessian else 'no'})"
        )

    def plots(self, out: str | Path) -> list[Path]:
        """Write ``noise.png`` (Fig. 3 style) and ``landscape.png`` (Fig. 4) to ``out``;
        returns the paths written."""
        from neurodyn.robustness._plots import noise_figure

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        if self.noise:
            noise_figure({self.model: self.noise}).savefig(out / "noise.png", dpi=110)
            paths.append(out / "noise.png")
        if self.hessian is not None and self.hessian.landscape is not None:
            title = (
                f"{self.model}: loss along the two top Hessian eigenvectors "
                "(Erichson et al. 2021, eq. 22, Fig. 4)"
            )
            self.hessian.plot(title).savefig(out / "landscape.png", dpi=110)
            paths.append(out / "landscape.png")
        return paths


def robustness_table(results: Sequence[RobustnessResult], title: str | None = None):
    """A ``rich.table.Table`` with one Table-3 row per result (accuracies in %)."""
    from rich.table import Table

    t = Table(title=title or "Robustness (Erichson et al. 2021, Table 3 columns)")
    rows = [r.row() for r in results]
    attacks = list(dict.fromkeys(k for r in rows for k in r if k.startswith(("PGD", "DF"))))
    for col in ["model", "clean", *attacks, "λ_max(H)", "tr(H) ± s.e.", "κ(H)"]:
        t.add_column(col, justify="left" if col == "model" else "right")
    for res, r in zip(results, rows, strict=True):
        pct = [f"{100 * r[k]:.1f}%" if k in r else "—" for k in ["clean", *attacks]]
        tr = f"{r['trace']:.4g} ± {r['trace_stderr']:.2g}"
        kappa = res.hessian.kappa_text() if res.hessian is not None else "—"
        t.add_row(r["model"], *pct, f"{r['lambda_max']:.4g}", tr, kappa)
    return t


def robustness(
    model: nn.Module,
    dataset,
    *,
    noise_levels: Mapping[str, Sequence[float]] | None = None,
    draws: int = 5,
    pgd: Sequence[Mapping] | None = DEFAULT_PGD,
    deepfool: Sequence[Mapping] | None = None,
    hessian: Mapping | bool | None = True,
    hessian_data=None,
    hessian_samples: int = 256,
    clip: tuple[float, float] | None = None,
    seed: int = 0,
    task: str | None = None,
    batch_size: int = 256,
) -> RobustnessResult:
    """Table-3-shaped robustness of one model (Erichson et al. 2021, Sec. 6.4).

    Args:
        model: ``model(x (B, T, F)) -> logits``, e.g. a ``SequenceClassifier``.
        dataset: the evaluation set (a ``neurodyn.data.SequenceDataset`` or anything with
            ``.x (N, T, F)`` and ``.y (N,)``), typically the test split.
        noise_levels: noise kind -> levels (default :data:`NOISE_KINDS`, both kinds); ``{}``
            for none. draws: noise draws per level.
        pgd: attacks, each a dict of :func:`pgd_robustness` options (default
            :data:`DEFAULT_PGD`); None or ``()`` for none.
        deepfool: DeepFool attacks, each a dict of :func:`deepfool_robustness` options
            (:data:`DEFAULT_DEEPFOOL` for Table 3's DF₂ and DF∞); default None: none (each
            costs about ``steps`` × classes backward passes, ~10× a PGD attack).
        hessian: options of :func:`hessian_analysis` (``params``, ``probes``, ``grid``, …),
            True for the defaults, None/False to skip.
        hessian_data: the set whose loss the Hessian is of (the paper: the training loss;
            default ``dataset``); its first ``hessian_samples`` examples form the batch.
        clip: valid input range for PGD and the noise models (default: the data's min/max).
        seed: seeds every random draw (noise, random starts, Hessian probes).
        task: a label for the result (default ``dataset.name`` when present).

    Example:
        >>> import torch
        >>> from neurodyn.data import load
        >>> from neurodyn.train import build_model
        >>> ds = load("digits", "test")
        >>> m = build_model("lipschitz", 1, 10, hidden_size=4, seed=0)
        >>> r = robustness(m, ds, noise_levels={"gaussian": [0, 0.2]}, draws=2, pgd=None,
        ...                hessian={"probes": 4, "landscape": False}, hessian_samples=16)
        >>> sorted(r.row())[:3]
        ['clean', 'kappa', 'lambda_max']
    """
    x, y = dataset.x, dataset.y
    lo, hi = (float(x.min()), float(x.max())) if clip is None else map(float, clip)
    levels = dict(NOISE_KINDS) if noise_levels is None else dict(noise_levels)
    noise = tuple(
        noise_robustness(
            model,
            x,
            y,
            kind,
            lv,
            draws=draws,
            seed=seed,
            value_range=(lo, hi),
            batch_size=batch_size,
        )
        for kind, lv in levels.items()
    )
    attacks = tuple(
        pgd_robustness(
            model, x, y, **{"clip": (lo, hi), "seed": seed, "batch_size": batch_size, **dict(p)}
        )
        for p in (pgd or ())
    )
    dfs = tuple(
        deepfool_robustness(model, x, y, **{"clip": (lo, hi), "batch_size": batch_size, **dict(p)})
        for p in (deepfool or ())
    )
    h = None
    if hessian:
        opts = {} if hessian is True else dict(hessian)
        hd = dataset if hessian_data is None else hessian_data
        hx, hy = hd.x[:hessian_samples], hd.y[:hessian_samples]
        h = hessian_analysis(model, hx, hy, **{"seed": seed, **opts})
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return RobustnessResult(
        getattr(model, "name", "") or type(model).__name__,
        task or getattr(dataset, "name", ""),
        int(n_params),
        int(x.shape[0]),
        accuracy(model, x, y, batch_size=batch_size),
        noise,
        attacks,
        h,
        int(seed),
        deepfool=dfs,
    )
