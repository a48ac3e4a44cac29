"""Full Lyapunov spectrum of an nn.LSTM (hidden 256, 1 and 2 layers, batch 32), CPU (issue: LSTM).

Per (layers, dtype) the step's pieces are timed per step, interleaved (A B A B …, medians of
``--repeats``), on one thread, at a generic state (20 steps from zero) and input (size 32):

(a) Jacobian: ``TorchRNNMap.step_and_jacobian`` vs ``torch.func.vmap(torch.func.jacrev(step))``
    on the map's own step function (the LSTM equations in plain tensor ops, checked against
    ``nn.LSTM``'s forward), same state and input;
(b) full step, ours: step_and_jacobian + J·Q + ``torch.linalg.qr`` (what ``lyapunov_spectrum``
    does per step at t_on = 1) vs the floor: bare ``torch.bmm`` + ``torch.linalg.qr`` at the same
    shapes with J precomputed (floor = median bmm + median qr, both timed in the same run);
(c) below the floor: t_on = 10 (per step: step_and_jacobian + J·Q + QR/10, from the medians),
    a k = 32 partial spectrum (timed as one step), CholeskyQR2 (``qr_method="cholesky"``, float64,
    timed as one step); each checked against the t_on = 1 full Householder spectrum over a short
    ``lyapunov_spectrum`` run (same trajectory, same initial frame, so the exponents agree in
    exact arithmetic and |Δλ| is rounding error); the per-step time of those end-to-end runs is
    printed too (one pass, not repeated);
(d) QR throughput: Householder flops 2mn² − 2n³/3 per m×n matrix (the factorisation only; forming
    Q, which torch.linalg.qr also does, is not counted) per second, as a fraction of the bmm's
    2n³ flops per second at the same shapes in the same run; also for a batched 64×64 QR.
(e) the h-only option (``lstm_state="h"``, the seed's convention; 1 layer, float32 by default):
    50 steps, QR every step, full h spectrum, total seconds: ``lyapunov_spectrum`` vs a
    vmap(jacrev) + bmm + QR loop written here, vs the floor (50 × bmm + QR), and vs the seed's code
    as quoted in the issue (32 s, not re-run: the seed's code is not available offline).

Full T = 500 runs are too slow on this CPU; per-step times are extrapolated (× 500).

Run: ``.venv/bin/python benchmarks/bench_lyapunov_lstm.py [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch

import neurodyn
from neurodyn.lyapunov._qr import _cholesky_qr, qr

T_TARGET = 500
SEED_QUOTED_S = 32.0  # the measurement of the seed's code (h-only, 50 steps)


def timeit(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(cases: dict, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cases}
    for fn in cases.values():  # warm-up
        fn()
    for _ in range(repeats):
        for name, fn in cases.items():
            times[name].append(timeit(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def make_lstm(layers: int, hidden: int, input_size: int, dtype, seed: int = 0):
    torch.manual_seed(seed)
    return torch.nn.LSTM(input_size, hidden, num_layers=layers, batch_first=True).to(dtype).eval()


def frame(n: int, dtype, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))[0].to(dtype)


def single_step_fn(fmap):
    def step(h, x):  # one sample: (n,), (input,) → (n,)
        return fmap.step(h.unsqueeze(0), x.unsqueeze(0)).squeeze(0)

    return step


def bench_config(layers: int, dtype, args) -> dict:
    B, H, n_in = args.batch, args.hidden, args.input
    lstm = make_lstm(layers, H, n_in, dtype)
    fmap = neurodyn.as_map(lstm)
    n = fmap.tangent_dim
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(B, 20 + args.acc_steps + args.acc_warmup, n_in, generator=gen).to(dtype)
    with torch.no_grad():
        h = fmap.zero_state(B, dtype=dtype)
        for t in range(20):
            h = fmap.step(h, inputs[:, t])
        x = inputs[:, 20]
        # correctness: the map's step is nn.LSTM's step
        _, (h_n, c_n) = lstm(x.unsqueeze(1), fmap.state_to_torch(h))
        step_err = (fmap.state_from_torch(h_n, c_n) - fmap.step(h, x)).abs().max().item()
        _, J = fmap.step_and_jacobian(h, x)
        Qf = frame(n, dtype).expand(B, n, n).contiguous()
        JQ = torch.bmm(J, Qf)
        k = min(args.k, n)
        Qk = Qf[:, :, :k].contiguous()
        JQk = JQ[:, :, :k].contiguous()
    jac_vmap = torch.func.vmap(torch.func.jacrev(single_step_fn(fmap), argnums=0))
    with torch.no_grad():
        jac_err = (jac_vmap(h, x) - J).abs().max().item()
        chol_ok = _cholesky_qr(JQ) is not None and _cholesky_qr(_cholesky_qr(JQ)[0]) is not None
        r_h = torch.linalg.qr(JQ)[1].diagonal(dim1=-2, dim2=-1).abs()
        r_c = qr(JQ, "cholesky")[1].diagonal(dim1=-2, dim2=-1).abs()
        chol_err = (r_h.log() - r_c.log()).abs().max().item()

    # as lyapunov_spectrum runs: J written into one reused buffer, J·Q into another (a fresh
    # (B, n, n) tensor per step costs first-touch page faults on tens of MB)
    j_buf, jq_buf, jqk_buf, floor_buf = (torch.empty_like(t) for t in (J, JQ, JQk, JQ))

    def jac_ours():
        return fmap.step_and_jacobian(h, x, out=j_buf)

    def ours_full(method="householder"):
        return qr(torch.bmm(jac_ours()[1], Qf, out=jq_buf), method)

    def ours_k():
        return qr(torch.bmm(jac_ours()[1], Qk, out=jqk_buf))

    reps = args.repeats if layers == 1 else max(1, args.repeats - 1)  # 2 layers: ~8× slower
    cases = {
        "jacobian ours": jac_ours,
        "jacobian ours, fresh J": lambda: fmap.step_and_jacobian(h, x),
        "step+J·Q ours (no QR)": lambda: torch.bmm(jac_ours()[1], Qf, out=jq_buf),
        "full step ours": ours_full,
        "floor: bmm": lambda: torch.bmm(J, Qf, out=floor_buf),
        "floor: linalg.qr": lambda: torch.linalg.qr(JQ),
        f"k={k} step ours": ours_k,
        f"qr k={k} householder": lambda: torch.linalg.qr(JQk),
    }
    if dtype == torch.float64:
        cases[f"qr k={k} cholesky"] = lambda: qr(JQk, "cholesky")
        cases["qr cholesky (CholeskyQR2)"] = lambda: qr(JQ, "cholesky")
    with torch.no_grad():
        med = interleaved(cases, reps)
    med.update(interleaved({"jacobian vmap(jacrev)": lambda: jac_vmap(h, x)}, reps))
    med["floor (bmm + qr)"] = med["floor: bmm"] + med["floor: linalg.qr"]
    med["t_on=10 per step (composed)"] = med["step+J·Q ours (no QR)"] + med["floor: linalg.qr"] / 10
    if dtype == torch.float64:
        med["cholesky per step (composed)"] = (
            med["step+J·Q ours (no QR)"] + med["qr cholesky (CholeskyQR2)"]
        )

    # (c) accuracy vs the t_on = 1 full Householder run, same trajectory and frame
    steps, warm = (args.acc_steps, args.acc_warmup) if layers == 1 else (args.acc_steps_2l, 0)
    acc_in = inputs[:, 20 : 20 + warm + steps]
    F = frame(n, dtype)
    runs = {
        "t_on=1 householder (reference)": dict(q0=F),
        # t_on = 10 over the full frame loses the trailing columns to rounding (float32: gap ×
        # t_on beyond −ln ε), which lyapunov_spectrum refuses; the leading k stay accurate
        f"t_on=10, k={k}": dict(q0=F[:, :k].contiguous(), k=k, t_on=10),
        f"k={k}": dict(q0=F[:, :k].contiguous(), k=k),
    }
    if dtype == torch.float64:
        runs["cholesky"] = dict(q0=F, qr_method="cholesky")
    lam, e2e = {}, {}
    for name, kw in runs.items():
        t0 = time.perf_counter()
        res = neurodyn.lyapunov_spectrum(fmap, acc_in, h0=h, warmup=warm, steps=steps, **kw)
        e2e[name] = (time.perf_counter() - t0) / (warm + steps)
        lam[name] = res.exponents.double()
    ref = lam["t_on=1 householder (reference)"]
    acc = {
        name: (
            (v[:k] - ref[:k]).abs().max().item(),
            (v - ref[: v.numel()]).abs().max().item(),
            int(((v - ref[: v.numel()]).abs() < 1e-3).cumprod(0).sum()),
        )
        for name, v in lam.items()
        if not name.startswith("t_on=1 ")
    }

    # (d) QR and GEMM throughput at these shapes
    qr_flops = B * (2 * n * n * n - 2 * n**3 / 3)
    gemm_flops = B * 2 * n**3
    return dict(
        layers=layers,
        dtype=dtype,
        n=n,
        k=k,
        med=med,
        e2e=e2e,
        acc=acc,
        acc_steps=(warm, steps),
        step_err=step_err,
        jac_err=jac_err,
        chol_ok=chol_ok,
        chol_err=chol_err,
        ref_lam=ref,
        qr_gflops=qr_flops / med["floor: linalg.qr"] / 1e9,
        gemm_gflops=gemm_flops / med["floor: bmm"] / 1e9,
        chol_gflops=(
            qr_flops / med["qr cholesky (CholeskyQR2)"] / 1e9
            if "qr cholesky (CholeskyQR2)" in med
            else None
        ),
    )


def bench_qr64(dtype, args) -> tuple[float, float]:
    gen = torch.Generator().manual_seed(2)
    A = torch.randn(args.batch, 64, 64, generator=gen, dtype=torch.float64).to(dtype)
    Bm = torch.linalg.qr(A)[0]
    reps = 20  # one call is ~1 ms: time 20 in a row
    med = interleaved(
        {
            "bmm": lambda: [torch.bmm(A, Bm) for _ in range(reps)],
            "qr": lambda: [torch.linalg.qr(A) for _ in range(reps)],
        },
        max(3, args.repeats),
    )
    gemm = reps * args.batch * 2 * 64**3 / med["bmm"] / 1e9
    qrg = reps * args.batch * (4 / 3) * 64**3 / med["qr"] / 1e9
    return qrg, gemm


def bench_h_only(layers: int, dtype, args) -> dict:
    B, H, n_in, steps = args.batch, args.hidden, args.input, args.h_steps
    lstm = make_lstm(layers, H, n_in, dtype)
    fmap_h = neurodyn.as_map(lstm, lstm_state="h")
    fmap = neurodyn.as_map(lstm)
    n, idx = fmap_h.tangent_dim, fmap.h_index
    gen = torch.Generator().manual_seed(3)
    inputs = torch.randn(B, steps, n_in, generator=gen).to(dtype)
    h0 = fmap.zero_state(B, dtype=dtype)
    F = frame(n, dtype)
    cidx = idx + H
    step1 = single_step_fn(fmap)

    def h_part(hh, cc, xx):  # ∂h'/∂h with every c held fixed (the seed's convention)
        parts = []
        for layer in range(layers):
            parts += [hh[layer * H : (layer + 1) * H], cc[layer * H : (layer + 1) * H]]
        return step1(torch.cat(parts), xx)[idx]

    jac_h = torch.func.vmap(torch.func.jacrev(h_part, argnums=0))

    def ours():
        return neurodyn.lyapunov_spectrum(fmap_h, inputs, h0=h0, q0=F).exponents

    def baseline():
        s, Q = h0, F.expand(B, n, n)
        log_sum = torch.zeros(B, n, dtype=dtype)
        for t in range(steps):
            x = inputs[:, t]
            J = jac_h(s[:, idx], s[:, cidx], x)
            with torch.no_grad():
                s = fmap.step(s, x)
                Q, R = torch.linalg.qr(torch.bmm(J, Q))
                log_sum += R.diagonal(dim1=-2, dim2=-1).abs().log()
        return (log_sum / steps).mean(0)

    with torch.no_grad():
        _, J = fmap_h.step_and_jacobian(h0, inputs[:, 0])
    JQ = torch.bmm(J, F.expand(B, n, n))

    def floor():
        for _ in range(steps):
            torch.linalg.qr(torch.bmm(J, JQ))

    lam_err = (ours() - baseline()).abs().max().item()
    med = interleaved(
        {"ours (lstm_state='h')": ours, "vmap(jacrev)+bmm+QR loop": baseline, "floor": floor},
        args.h_repeats,
    )
    return dict(layers=layers, dtype=dtype, n=n, med=med, lam_err=lam_err, steps=steps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--input", type=int, default=32, help="input size")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--layers", type=str, default="1,2")
    ap.add_argument("--dtypes", type=str, default="float32,float64")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--k", type=int, default=32, help="partial spectrum size")
    ap.add_argument("--acc-steps", type=int, default=30, help="accuracy run, 1 layer")
    ap.add_argument("--acc-warmup", type=int, default=10, help="accuracy run warm-up, 1 layer")
    ap.add_argument("--acc-steps-2l", type=int, default=10, help="accuracy run, 2 layers")
    ap.add_argument("--h-layers", type=str, default="1", help="(e) h-only, float32")
    ap.add_argument("--h-steps", type=int, default=50)
    ap.add_argument("--h-repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="1 layer only, 2 repeats, short runs")
    args = ap.parse_args()
    if args.quick:
        args.layers, args.repeats, args.acc_steps, args.acc_warmup = "1", 2, 10, 0
        args.h_steps, args.h_repeats = 10, 1
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    dtypes = [getattr(torch, d) for d in args.dtypes.split(",")]
    print(
        f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"threads={torch.get_num_threads()}, {load()}"
    )
    print(
        f"nn.LSTM(input_size={args.input}, hidden_size={args.hidden}), batch {args.batch}, "
        f"full (h, c) spectrum (n = 2·L·H), per-step medians of {args.repeats} interleaved "
        f"repeats (2 layers: {max(1, args.repeats - 1)}); T = {T_TARGET} extrapolated: 500 × step"
    )
    results = []
    for layers in [int(v) for v in args.layers.split(",")]:
        for dtype in dtypes:
            r = bench_config(layers, dtype, args)
            results.append(r)
            name = str(dtype).replace("torch.", "")
            m = r["med"]
            print(
                f"\n== {layers} layer(s), {name}, n = {r['n']}  ({load()})\n"
                f"check: |map step − nn.LSTM| = {r['step_err']:.1e}, |J ours − vmap(jacrev)| = "
                f"{r['jac_err']:.1e}, λ₁ (reference run) = {r['ref_lam'][0]:.4f}"
                + (
                    f", CholeskyQR2 ok = {r['chol_ok']}, max |log R_ii chol − householder| = "
                    f"{r['chol_err']:.1e}"
                    if dtype == torch.float64
                    else ""
                )
            )
            print(f"  {'case':34s} {'per step s':>11s} {'T=500 s':>9s}")
            for key, v in m.items():
                print(f"  {key:34s} {v:11.4f} {v * T_TARGET:9.1f}")
            floor = m["floor (bmm + qr)"]
            ratio_a = m["jacobian vmap(jacrev)"] / m["jacobian ours"]
            print(f"  (a) vmap(jacrev) / ours jacobian    {ratio_a:7.1f}   (target ≥ 20)")
            print(
                f"  (b) full step ours / floor          {m['full step ours'] / floor:7.2f}"
                "   (target ≤ 1.5)"
            )
            below = [
                (f"t_on=10, k={r['k']}", "t_on=10 per step (composed)"),
                (f"k={r['k']}", f"k={r['k']} step ours"),
            ]
            if dtype == torch.float64:
                below.append(("cholesky", "cholesky per step (composed)"))
            wu, st = r["acc_steps"]
            print(
                f"  (c) below the floor (accuracy: {st} steps after {wu} warm-up vs t_on=1 "
                "Householder; end-to-end lyapunov_spectrum s/step, one pass):"
            )
            for label, key in below:
                d_k, d_all, n_ok = r["acc"][label]
                print(
                    f"      {label:9s} {m[key]:8.4f} s/step = {m[key] / floor:5.2f} × floor   "
                    f"max|Δλ| first {r['k']}: {d_k:.1e}, all: {d_all:.1e} "
                    f"(leading {n_ok} within 1e-3)   "
                    f"e2e {r['e2e'][label]:.4f} s/step"
                )
            print(f"      reference e2e {r['e2e']['t_on=1 householder (reference)']:.4f} s/step")
            print(
                f"  (d) QR {r['qr_gflops']:.1f} GFLOP/s vs bmm {r['gemm_gflops']:.1f} GFLOP/s "
                f"= {r['qr_gflops'] / r['gemm_gflops']:.1%} of GEMM (long-term goal ≥ 30 %)"
                + (
                    f"; CholeskyQR2 {r['chol_gflops']:.1f} Householder-equivalent GFLOP/s = "
                    f"{r['chol_gflops'] / r['gemm_gflops']:.1%}"
                    if r["chol_gflops"]
                    else ""
                )
            )
    print()
    for dtype in dtypes:
        qrg, gemm = bench_qr64(dtype, args)
        name = str(dtype).replace("torch.", "")
        print(
            f"(d) batched {args.batch}×64×64, {name}: QR {qrg:.2f} GFLOP/s, bmm {gemm:.1f} GFLOP/s"
            f" = {qrg / gemm:.1%} of GEMM ({gemm / qrg:.0f}× below)"
        )
    print()
    for layers in [int(v) for v in args.h_layers.split(",") if v]:
        r = bench_h_only(layers, torch.float32, args)
        m = r["med"]
        ours = m["ours (lstm_state='h')"]
        print(
            f"(e) h-only (lstm_state='h'), {layers} layer(s), float32, n = {r['n']}, "
            f"{r['steps']} steps, QR every step, medians of {args.h_repeats} ({load()})\n"
            f"  check: max |λ ours − λ vmap loop| = {r['lam_err']:.1e}"
        )
        for key, v in m.items():
            print(f"  {key:34s} {v:8.2f} s")
        print(
            f"  vmap(jacrev) loop / ours            {m['vmap(jacrev)+bmm+QR loop'] / ours:7.2f}\n"
            f"  ours / floor                        {ours / m['floor']:7.2f}"
        )
        if r["steps"] == 50:
            print(
                f"  seed's code (quoted, not re-run: the seed's code is not available offline) "
                f"{SEED_QUOTED_S:.0f} s / ours = {SEED_QUOTED_S / ours:.1f}   (target ≥ 5)"
            )
    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f} s ({load()})")


if __name__ == "__main__":
    main()
