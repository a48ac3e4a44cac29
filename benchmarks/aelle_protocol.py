"""AeLLE's classification protocol and latent space on an AeLLE study store (Vogt, dissertation,
Sec. 3.4.4-3.4.5 and 3.6: Tables 3.1, 3.2, 3.3, D5; Figs. 3.10, 3.13-3.15).

Reads a store written by ``benchmarks/aelle_study.py`` (for the dissertation's setting,
``--config benchmarks/aelle_smnist.yaml``: spectra at 0 / 10 / 20 / 50 / 100 % of training) and,
over random 70 / 10 / 20 splits of the networks (train / validation / test):

* **pre-trained AeLLE** (Table 3.1): one AeLLE fitted on the training networks' spectra of every
  checkpoint, each labelled with its network's final accuracy; the PC1 threshold chosen for the
  best F1 on the validation networks (all checkpoints); applied to the test networks' spectra at
  each checkpoint. Beside it, the validation loss at that checkpoint with its threshold chosen the
  same way (on the validation networks).
* **Table 3.2**: mean LE, max LE, PC1 of the raw spectra, AeLLE PC1 (the pre-trained AeLLE), each
  with its boundary at the best F1 on the training networks at that checkpoint.
* **Table 3.3**: the union of 2^d median cells of the pre-trained AeLLE's first d PCs (cells
  fitted on the training networks, all checkpoints), d = 1, 2, 4, 10, at each checkpoint.
* **Table D5**: per family, the share of networks on the high-accuracy side of the AeLLE PC1
  median and mean (AeLLE of the final spectra).
* **the latent space** (Sec. 3.6, eq. 3.7): latents moved by ΔT (``AeLLE.perturb``) in PCA
  coordinates, their direction against the line from the low- to the high-accuracy centroid, the
  decoded spectra's response per family (mean |Δ decoded exponent| per unit ΔT) against the share
  of each family's exponents near zero, and the decoded level set of the best score.

    python benchmarks/aelle_protocol.py runs/aelle_smnist [--splits 5] [--config YAML]

Writes ``_analysis/protocol.json``, ``protocol.md`` and PNGs into the store.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import aelle_study  # noqa: E402  (this folder's study script: the store reader and splits)

NEAR_ZERO = 0.05  # |λ| below this (nats per step) counts as a "near-zero" exponent
DELTAS = (-0.2, -0.1, 0.1, 0.2)  # ΔT of the latent perturbation, in accuracy units


def _prf(truth, pred) -> dict:
    return aelle_study._prf(np.asarray(truth), np.asarray(pred).astype(int))


def _rule(z, t, side):
    return ((z > t) if side > 0 else (z <= t)).astype(int)


def _stat(name: str, X, pca=None):
    if name == "Mean LE":
        return X.mean(axis=1)
    if name == "Max LE":
        return X.max(axis=1)
    return pca.transform(X)[:, 0]


def one_split(net: dict, tr, va, te, *, fracs, dims, aelle: dict, seed: int) -> dict:
    """Tables 3.1-3.3 on one split; returns {table: {checkpoint: {classifier: prf}}}."""
    from sklearn.decomposition import PCA

    from neurodyn.aelle import AeLLE, best_f1_boundary
    from neurodyn.aelle._boundary import _cell_codes, _fit_cells

    acc = net["acc"]
    thr = float(np.median(acc[tr]))
    high = (acc > thr).astype(int)
    X = {f: net["early"][f]["X"] for f in fracs if f < 1.0}
    X[1.0] = net["X"]
    loss = {f: net["early"][f]["val_loss"] for f in fracs if f < 1.0}
    loss[1.0] = net["val_loss"]
    cps = list(X)
    # the pre-trained AeLLE: every checkpoint of the training networks, final-accuracy labels
    Xtr = np.concatenate([X[f][tr] for f in cps])
    ytr = np.concatenate([acc[tr] for _ in cps])
    model = AeLLE(random_state=seed, threshold=thr, n_components=max(dims), **aelle).fit(Xtr, ytr)
    pcs = {f: model.transform(X[f]) for f in cps}
    # Table 3.1: PC1 threshold at the best F1 on the validation networks (all checkpoints)
    zv = np.concatenate([pcs[f][va, 0] for f in cps])
    hv = np.concatenate([high[va] for _ in cps])
    t_val, s_val, _ = best_f1_boundary(zv, hv)
    # Table 3.3: median cells of the first d PCs, fitted on the training networks
    Ztr = np.concatenate([pcs[f][tr] for f in cps])
    htr = np.concatenate([high[tr] for _ in cps])
    cells = {d: _fit_cells(Ztr[:, :d], htr) for d in dims}
    out: dict = {"3.1": {}, "3.2": {}, "3.3": {}}
    for f in cps:
        truth = high[te]
        lv_t, lv_s, _ = best_f1_boundary(-loss[f][va], high[va])  # low loss = high accuracy
        out["3.1"][f] = {
            "AeLLE (pre-trained)": _prf(truth, _rule(pcs[f][te, 0], t_val, s_val)),
            "validation loss": _prf(truth, _rule(-loss[f][te], lv_t, lv_s)),
        }
        pca = PCA(n_components=1, svd_solver="full").fit(X[f][tr])
        row = {}
        for name in ("Mean LE", "Max LE", "LE PCA"):
            t, s, _ = best_f1_boundary(_stat(name, X[f][tr], pca), high[tr])
            row[name] = _prf(truth, _rule(_stat(name, X[f][te], pca), t, s))
        t, s, _ = best_f1_boundary(pcs[f][tr, 0], high[tr])
        row["AeLLE"] = _prf(truth, _rule(pcs[f][te, 0], t, s))
        out["3.2"][f] = row
        out["3.3"][f] = {}
        for d in dims:
            med, hc = cells[d]
            pred = np.isin(_cell_codes(pcs[f][te, :d], med), hc).astype(int)
            out["3.3"][f][f"d = {d}"] = _prf(truth, pred)
    return out


def _mean_sd(rows: list[dict]) -> dict:
    """[{table: {cp: {clf: {m: v}}}}] over splits → same nesting with [mean, sd]."""
    first = rows[0]
    res: dict = {}
    for tab, cps in first.items():
        res[tab] = {}
        for cp, clfs in cps.items():
            res[tab][str(cp)] = {}
            for clf, ms in clfs.items():
                res[tab][str(cp)][clf] = {
                    m: [
                        float(np.mean([r[tab][cp][clf][m] for r in rows])),
                        float(np.std([r[tab][cp][clf][m] for r in rows], ddof=1))
                        if len(rows) > 1
                        else 0.0,
                    ]
                    for m in ms
                }
    return res


def latent_space(net: dict, tr, *, aelle: dict, seed: int) -> dict:
    """Sec. 3.6 on an AeLLE of the final spectra (fitted on the training networks)."""
    from scipy.stats import spearmanr

    from neurodyn.aelle import AeLLE

    X, acc, fam = net["X"], net["acc"], net["family"]
    model = AeLLE(random_state=seed, n_components=2, **aelle).fit(X[tr], acc[tr])
    L = model.latent(X)
    P = model.pca_.transform(L)
    # the latent step of one unit of ΔT (eq. 3.7: θ⁺ = θᵀ/‖θ‖², the same for every network)
    step = model.perturb(X[:1], 1.0)[0] - L[0]
    # that step in PCA coordinates (PCA is affine, so it is the same at every point)
    move = (model.pca_.transform(L[:1] + step) - model.pca_.transform(L[:1]))[0]
    high = acc > model.threshold_
    centroid = P[high].mean(axis=0) - P[~high].mean(axis=0)
    cos_centroid = float(move @ centroid / np.linalg.norm(move) / np.linalg.norm(centroid))
    lat_centroid = L[high].mean(axis=0) - L[~high].mean(axis=0)
    cos_latent = float(step @ lat_centroid / np.linalg.norm(step) / np.linalg.norm(lat_centroid))
    # the share of θ's direction inside the PC1-PC2 plane, and its angle there with PC1
    in_plane = float(np.linalg.norm(move) / np.linalg.norm(step))
    angle = float(np.degrees(np.arctan2(move[1], move[0])))
    # ΔT check: the head's prediction moves by exactly ΔT (eq. 3.7)
    base = model.predict_latent(L)
    dev = max(
        float(np.max(np.abs(model.predict_latent(model.perturb(X, d)) - base - d))) for d in DELTAS
    )
    dec0 = model.decode(L)
    resp = np.mean(
        [np.abs(model.decode(model.perturb(X, d)) - dec0).mean(axis=1) / abs(d) for d in DELTAS],
        axis=0,
    )
    near = (np.abs(X) < NEAR_ZERO).mean(axis=1)
    rho, p = spearmanr(near, resp)
    fams = {}
    for f in dict.fromkeys(fam.tolist()):
        m = fam == f
        fams[f] = {
            "networks": int(m.sum()),
            "median_acc": float(np.median(acc[m])),
            "pc1_mean": float(P[m, 0].mean()),
            "pc2_mean": float(P[m, 1].mean()),
            "decoded_response": float(np.mean(resp[m])),
            "near_zero_share": float(np.mean(near[m])),
            "predicted_acc": float(np.mean(base[m])),
        }
    best = float(acc[tr].max())
    level = model.level_set(X, best)
    return {
        "model": model,
        "P": P,
        "move": move,
        "cos_move_centroid_pca": cos_centroid,
        "cos_theta_centroid_latent": cos_latent,
        "theta_share_in_pc12": in_plane,
        "theta_angle_to_pc1_deg": angle,
        "perturb_max_abs_error": dev,
        "spearman_near_zero_vs_response": [float(rho), float(p)],
        "families": fams,
        "level_set_pca": model.pca_.transform(level),
        "level_set_decoded": model.decode(level),
        "best_score": best,
    }


def table_d5(net: dict, tr, *, aelle: dict, seed: int) -> dict:
    """Table D5: the family composition (%) of the networks on the high-accuracy side of AeLLE
    PC1's median and mean (the dissertation's columns sum to 100), and each family's own share
    on that side (``within``)."""
    from neurodyn.aelle import AeLLE

    X, acc, fam = net["X"], net["acc"], net["family"]
    model = AeLLE(random_state=seed, **aelle).fit(X[tr], acc[tr])
    z = model.transform(X)[:, 0]
    side = model.side_
    out: dict = {"within": {}}
    for name, t in (("median", float(np.median(z[tr]))), ("mean", float(np.mean(z[tr])))):
        on = _rule(z, t, side).astype(bool)
        fams = dict.fromkeys(fam.tolist())
        out[name] = {f: float(100 * (on & (fam == f)).sum() / max(on.sum(), 1)) for f in fams}
        out["within"][name] = {f: float(100 * on[fam == f].mean()) for f in fams}
    return out


def _figures(res_dir: Path, net: dict, lat: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fam = net["family"]
    fams = list(dict.fromkeys(fam.tolist()))
    cmap = plt.get_cmap("tab10")
    P, move = lat["P"], lat["move"]
    # Fig. 3.13: the latents and their moves under ΔT, per family
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for i, f in enumerate(fams):
        m = fam == f
        axes[0].scatter(P[m, 0], P[m, 1], s=14, color=cmap(i % 10), label=f)
    axes[0].set_title("AeLLE of the final spectra, by family", fontsize=10)
    sc = axes[1].scatter(P[:, 0], P[:, 1], c=net["acc"], cmap="viridis", s=12, vmin=0, vmax=1)
    for f in fams:
        c = P[fam == f].mean(axis=0)
        ends = np.array([c - 0.5 * move, c + 0.5 * move])
        axes[1].plot(*ends.T, color="k", lw=0.8)
        axes[1].annotate("", xy=ends[1], xytext=c, arrowprops={"arrowstyle": "->", "lw": 1.2})
        axes[1].plot(*c, "k.", ms=4)
    axes[1].set_title("each family's centre moved by ΔT ∈ [−0.5, +0.5] (arrow: +)", fontsize=10)
    fig.colorbar(sc, ax=axes[1], label="final test accuracy")
    for ax in axes:
        ax.set_xlabel("AeLLE PC1")
        ax.set_ylabel("AeLLE PC2")
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle(
        "Latent perturbation L + θ⁺ΔT (Vogt, dissertation, eq. 3.7, Fig. 3.13)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(res_dir / "latent_perturbation.png", dpi=120)
    plt.close(fig)
    files.append("latent_perturbation.png")
    # Fig. 3.14: decoded spectra under ΔT, one network per family (the median-accuracy one)
    model = lat["model"]
    n_f = len(fams)
    cols = 4
    rows = (n_f + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for i, f in enumerate(fams):
        ax = axes[i // cols][i % cols]
        idx = np.nonzero(fam == f)[0]
        j = idx[np.argsort(net["acc"][idx])[len(idx) // 2]]
        ax.plot(net["X"][j], "k:", lw=1, label="measured")
        for d, c in zip((-0.2, 0.0, 0.2), ("tab:red", "tab:gray", "tab:green"), strict=True):
            Lp = model.perturb(net["X"][j : j + 1], d)
            ax.plot(model.decode(Lp)[0], color=c, lw=1.2, label=f"decoded, ΔT = {d:+.1f}")
        ax.axhline(0, color="k", lw=0.4)
        ax.set_title(f"{f} (acc {net['acc'][j]:.2f})", fontsize=9)
        ax.set_xlabel("exponent index (resampled)", fontsize=8)
    for k in range(n_f, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    axes[0][0].set_ylabel("λ (nats / step)")
    fig.suptitle(
        "Decoded spectra of perturbed latents (Vogt, dissertation, Fig. 3.14)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(res_dir / "decoded_perturbation.png", dpi=120)
    plt.close(fig)
    files.append("decoded_perturbation.png")
    # Fig. 3.15: the level set of the best score, in PCA coordinates, and decoded
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, f in enumerate(fams):
        m = fam == f
        axes[0].scatter(P[m, 0], P[m, 1], s=12, color=cmap(i % 10), label=f)
    Q = lat["level_set_pca"]
    axes[0].scatter(Q[:, 0], Q[:, 1], s=6, color="k", label="level set of the best score")
    axes[0].set_xlabel("AeLLE PC1")
    axes[0].set_ylabel("AeLLE PC2")
    axes[0].legend(fontsize=7, ncol=2)
    D = lat["level_set_decoded"]
    for k in range(0, D.shape[0], max(1, D.shape[0] // 40)):
        axes[1].plot(D[k], color="k", alpha=0.25, lw=0.8)
    axes[1].axhline(0, color="r", lw=0.5)
    axes[1].set_xlabel("exponent index (resampled)")
    axes[1].set_ylabel("decoded λ (nats / step)")
    axes[1].set_title(f"decoded level set (score = {lat['best_score']:.3f})", fontsize=10)
    fig.suptitle(
        "Where the head predicts the best accuracy (Vogt, dissertation, Fig. 3.15)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(res_dir / "level_set.png", dpi=120)
    plt.close(fig)
    files.append("level_set.png")
    return files


def _fmt(ms) -> str:
    return f"{ms[0]:.2f} ± {ms[1]:.2f}"


def _markdown(res: dict) -> str:
    L = ["# AeLLE classification protocol (Vogt, dissertation, Sec. 3.4.4-3.4.5, 3.6)", ""]
    L += [
        f"{res['networks']} networks ({res['clipped_spectra']} spectra had exponents below "
        f"log 2⁻²⁴ = {aelle_study.FLOOR:.1f}, −inf included, clipped to it), {res['splits']} "
        "random 70/10/20 splits; mean ± sd over the "
        "splits of the held-out networks' precision / recall / F1. Class 1: final test accuracy "
        "above the training networks' median.",
        "",
    ]
    cps = list(res["tables"]["3.1"])
    head = "| classifier | " + " | ".join(f"{100 * float(c):.0f} %" for c in cps) + " |"
    sep = "|---" * (len(cps) + 1) + "|"
    for tab, title in (
        (
            "3.1",
            "Table 3.1: pre-trained AeLLE (threshold on the validation networks) vs the "
            "validation loss; F1 (recall / precision)",
        ),
        ("3.2", "Table 3.2: boundary at the best training F1 at each checkpoint; F1"),
        ("3.3", "Table 3.3: 2^d median cells of the pre-trained AeLLE; F1"),
    ):
        L += [f"## {title}", "", head, sep]
        for clf in res["tables"][tab][cps[0]]:
            cells = []
            for c in cps:
                m = res["tables"][tab][c][clf]
                cell = _fmt(m["f1"])
                if tab == "3.1":
                    cell += f" ({100 * m['recall'][0]:.0f} % / {100 * m['precision'][0]:.0f} %)"
                cells.append(cell)
            L.append(f"| {clf} | " + " | ".join(cells) + " |")
        L.append("")
    L += [
        "## Table D5: the high side of AeLLE PC1 by family",
        "",
        "Composition: % of the networks on the high side that are of each family (columns sum "
        "to 100, as the dissertation's); within: % of the family's own networks on that side.",
        "",
        "| family | median: composition | mean: composition | median: within | mean: within "
        "| networks | median acc |",
        "|---|---|---|---|---|---|---|",
    ]
    w = res["d5"]["within"]
    for f, t in res["d5"]["median"].items():
        fam = res["latent"]["families"][f]
        L.append(
            f"| {f} | {t:.1f} | {res['d5']['mean'][f]:.1f} | {w['median'][f]:.1f} | "
            f"{w['mean'][f]:.1f} | {fam['networks']} | {fam['median_acc']:.3f} |"
        )
    lat = res["latent"]
    L += [
        "",
        "## The latent space (Sec. 3.6)",
        "",
        f"- eq. 3.7 check: max |prediction(L + θ⁺ΔT) − prediction(L) − ΔT| = "
        f"{lat['perturb_max_abs_error']:.2e} over ΔT ∈ {list(DELTAS)}.",
        f"- θ's direction: {100 * lat['theta_share_in_pc12']:.0f} % of it lies in the PC1-PC2 "
        f"plane, at {lat['theta_angle_to_pc1_deg']:.0f}° to the PC1 axis there; cosine with the "
        "low→high accuracy centroid line: "
        f"{lat['cos_move_centroid_pca']:.2f} in the plane, "
        f"{lat['cos_theta_centroid_latent']:.2f} in the full latent space.",
        f"- decoded response vs share of near-zero exponents (|λ| < {NEAR_ZERO}), over "
        f"networks: Spearman ρ = {lat['spearman_near_zero_vs_response'][0]:.2f} "
        f"(p = {lat['spearman_near_zero_vs_response'][1]:.2g}).",
        "",
        "| family | median acc | AeLLE PC1 | PC2 | decoded |Δλ| per unit ΔT | near-zero share |",
        "|---|---|---|---|---|---|",
    ]
    for f, t in sorted(lat["families"].items(), key=lambda kv: -kv[1]["decoded_response"]):
        L.append(
            f"| {f} | {t['median_acc']:.3f} | {t['pc1_mean']:+.2f} | {t['pc2_mean']:+.2f} | "
            f"{t['decoded_response']:.3f} | {t['near_zero_share']:.2f} |"
        )
    L += ["", "Figures: " + ", ".join(f"`{f}`" for f in res["figures"]), ""]
    return "\n".join(L)


def analyse(store: Path, study: dict, splits: int) -> dict:
    acfg = dict(study.get("analysis") or {})
    fracs = [float(f) for f in acfg.get("fractions", [0, 0.1, 0.2, 0.5])]
    dims = sorted({int(d) for d in acfg.get("cell_dims", [1, 2, 4, 10])})
    aelle = {"latent_size": int(acfg.get("latent_size", 32)), **dict(acfg.get("aelle") or {})}
    rs = int(acfg.get("random_state", 0))
    net = aelle_study.networks(store, int(acfg.get("spectrum_length", 32)), fracs)
    n = len(net["acc"])
    rows = []
    first = None
    for r, (tr, va, te) in enumerate(aelle_study._splits(n, splits, rs)):
        rows.append(one_split(net, tr, va, te, fracs=[*fracs, 1.0], dims=dims, aelle=aelle,
                              seed=rs + r))  # fmt: skip
        first = first or (tr, va, te)
        print(f"  split {r + 1}/{splits} done", flush=True)
    tr, va, te = first
    lat = latent_space(net, tr, aelle=aelle, seed=rs)
    res = {
        "networks": n,
        "clipped_spectra": net["clipped"],
        "splits": splits,
        "tables": _mean_sd(rows),
        "d5": table_d5(net, tr, aelle=aelle, seed=rs),
        "latent": {k: v for k, v in lat.items()
                   if k not in ("model", "P", "move", "level_set_pca", "level_set_decoded")},
    }  # fmt: skip
    res_dir = store / aelle_study.ANALYSIS
    res_dir.mkdir(parents=True, exist_ok=True)
    res["figures"] = _figures(res_dir, net, lat)
    (res_dir / "protocol.json").write_text(json.dumps(res, indent=2) + "\n")
    (res_dir / "protocol.md").write_text(_markdown(res))
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", help="an AeLLE study store (benchmarks/aelle_study.py --out)")
    ap.add_argument("--config", default=str(HERE / "aelle_smnist.yaml"))
    ap.add_argument("--splits", type=int, default=None)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    study = aelle_study.load_study(args.config)
    splits = args.splits or int((study.get("analysis") or {}).get("splits", 5))
    analyse(Path(args.store), study, splits)
    print((Path(args.store) / aelle_study.ANALYSIS / "protocol.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
