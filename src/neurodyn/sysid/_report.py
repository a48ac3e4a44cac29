"""A report per identified model: phase portraits under constant inputs, a step response,
spectra along a trajectory, and the certificates of :func:`certify_ssm`."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from neurodyn.report import Report
from neurodyn.sysid._analysis import certify_ssm, equilibria, outside_behaviour, spectra
from neurodyn.sysid._models import NeuralSSM

__all__ = ["report"]


@torch.no_grad()
def report(
    model: NeuralSSM,
    x_box,
    u_box,
    *,
    x_test=None,
    u_test=None,
    title: str = "Neural state-space model",
    resolution: int = 21,
) -> Report:
    """Build a :class:`neurodyn.report.Report` for ``model`` (normalised units throughout).

    Sections: certificates (:func:`certify_ssm` over X × U), equilibria under constant
    inputs, phase portraits (n = 2: the field x_{t+1} − x_t under three constant inputs), a
    step response (input from U's low to high corner at t = 20), spectra of A*ₓ along a test
    trajectory (``x_test`` ``(T + 1, n)``, ``u_test`` ``(T, m)``, if given), behaviour 10×
    outside the box.

    Example:
        >>> import tempfile
        >>> from neurodyn.sysid import NeuralSSM, report
        >>> rep = report(NeuralSSM(2, 1, hidden=(8,)), [(-2, 2), (-2, 2)], [(-1, 1)], resolution=5)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = rep.write(tmp)
        >>> [s.title for s in rep.sections][:2]
        ['Certificates', 'Equilibria under constant inputs']
    """
    dt = model.dtype
    certs = certify_ssm(model, x_box, u_box, resolution=resolution)
    rep = Report(title, data={"model": repr(model)})
    rep.section("Certificates")
    for c in certs:
        rep.certificate(c)
    xb = [tuple(p) for p in x_box]
    ub = [tuple(p) for p in u_box]
    ulo = torch.tensor([p[0] for p in ub], dtype=dt)
    uhi = torch.tensor([p[1] for p in ub], dtype=dt)
    inputs = torch.stack([ulo, (ulo + uhi) / 2, uhi])
    sweep = equilibria(model, inputs, xb, resolution=8)
    rep.section("Equilibria under constant inputs")
    rows = [[r["u"], r["x"], r["kind"], r["rho"]] for r in sweep.rows()]
    rep.table(rows, ["ū", "x̄", "kind", "ρ(∂F/∂x)"], caption="FrozenInput + fixed_points")
    rep.data["equilibria"] = sweep.to_dict()
    if model.n == 2:
        fig = Figure(figsize=(11, 3.4))
        axes = fig.subplots(1, 3)
        gx = np.linspace(xb[0][0], xb[0][1], 15)
        gy = np.linspace(xb[1][0], xb[1][1], 15)
        X, Y = np.meshgrid(gx, gy)
        pts = torch.tensor(np.stack([X.ravel(), Y.ravel()], 1), dtype=dt)
        for ax, ubar, res in zip(axes, inputs, sweep.results, strict=True):
            d = (model(pts, ubar.expand(pts.shape[0], -1)) - pts).numpy()
            ax.quiver(X, Y, d[:, 0].reshape(X.shape), d[:, 1].reshape(X.shape), angles="xy")
            for p in res.points:
                ax.plot(*p.x.tolist(), "o", color="C3" if p.kind != "stable" else "C2")
            ax.set_title(f"u = {np.round(ubar.numpy(), 2).tolist()}", fontsize=9)
            ax.set_xlabel("x₁")
        axes[0].set_ylabel("x₂")
        rep.section("Phase portraits").figure(
            fig,
            "phase.png",
            "x_(t+1) − x_t under constant inputs; equilibria green (stable)",
            wide=True,
        )
    # step response
    T = 120
    u = ulo.expand(T, -1).clone()
    u[20:] = uhi
    x0 = (
        sweep.results[0].stack()[:1]
        if sweep.results[0].points
        else torch.zeros(1, model.n, dtype=dt)
    )
    traj = model.rollout(x0.to(dt), u.unsqueeze(0))[0].numpy()
    fig = Figure(figsize=(5.5, 3.2))
    ax = fig.subplots()
    ax.plot(traj)
    ax.axvline(20, color="0.6", ls=":")
    ax.set_xlabel("t")
    ax.set_ylabel("state (normalised)")
    rep.section("Step response").figure(
        fig, "step.png", "input from U's low to high corner at t = 20"
    )
    if x_test is not None and u_test is not None:
        xt = torch.as_tensor(np.asarray(x_test), dtype=dt)
        ut = torch.as_tensor(np.asarray(u_test), dtype=dt)
        sp = spectra(model, xt[:-1], ut)
        fig = Figure(figsize=(5.5, 3.2))
        ax = fig.subplots()
        ax.plot(sp.rho.numpy(), label="ρ(A*ₓ)")
        ax.plot(sp.norm2.numpy(), label="‖A*ₓ‖₂")
        ax.axhline(1, color="0.6", ls=":")
        ax.legend()
        ax.set_xlabel("t")
        rep.section("Spectra along the test trajectory").figure(fig, "spectra.png", "")
        rep.data["spectra_along"] = {
            "rho_max": float(sp.rho.max()),
            "norm2_max": float(sp.norm2.max()),
        }
    out = outside_behaviour(model, xb, ub)
    rep.section("Far outside the data (10×)").table(
        [[out["start_norm"], out["max_norm"], out["final_norm"], out["bounded"]]],
        ["max ‖x₀‖", "max ‖x_t‖", "max ‖x_T‖", "bounded"],
    )
    rep.data["outside"] = out
    rep.data["certificates"] = [c.to_dict() for c in certs]
    return rep
