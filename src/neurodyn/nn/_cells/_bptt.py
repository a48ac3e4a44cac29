"""Hand-written backpropagation through time for the cells' training forward.

Autograd records ~10 nodes per cell step and replays them one by one in the backward; ``nn.LSTM``
instead runs one fused ATen kernel whose backward walks the sequence once and forms each weight
gradient as one GEMM over all steps. The :class:`torch.autograd.Function` s here do the same
in plain torch ops: the forward loop runs without a graph and keeps only what the backward needs
(states and gate values, preallocated ``(T, B, ·)`` buffers written with ``out=``); the backward
loop carries the state gradient back step by step (two ``(B, N)`` GEMMs per step for LEM) and
forms ``∂L/∂W = Σ_t δ_tᵀ h_{t−1}`` as ONE ``(T·B)``-deep GEMM after the loop. The input
projection ``V x + b`` of all steps stays one matmul before the loop (``_drive``), so its
gradients are autograd's single GEMM too.

When the fast path is not taken (:func:`fast_path`): no gradient wanted (the cell's own loop
under ``no_grad`` is as fast), ``torch.func`` transforms active (``vmap``/``grad``/``vjp``, e.g.
``neurodyn.robustness``'s Hessian-vector products) or forward-mode AD (dual tensors) — these run
the cell's autograd loop. Double backward (``create_graph=True``) is supported by recomputing the
cell's autograd loop inside the backward from the saved inputs (exact, just not fast).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["CTRNNRK4Sequence", "LEMSequence", "fast_path"]


def _forward_ad_active() -> bool:
    try:
        from torch.autograd.forward_ad import _current_level
    except ImportError:  # pragma: no cover - older torch: be safe, take the autograd loop
        return True
    return _current_level >= 0


def fast_path(*tensors: Tensor) -> bool:
    """Whether the hand-written BPTT applies: a gradient is wanted through one of ``tensors``,
    and no ``torch.func`` transform and no forward-mode AD is active."""
    if not torch.is_grad_enabled() or not any(t.requires_grad for t in tensors):
        return False
    if torch._C._are_functorch_transforms_active() or _forward_ad_active():
        return False
    return True


def _recompute_grads(ctx, loop, grads):
    """Double backward: the cell's autograd loop from the saved inputs, differentiated with
    ``create_graph=True`` (so a second derivative sees the whole dependence on the inputs)."""
    inputs = ctx.saved_tensors[: ctx.n_inputs]
    with torch.enable_grad():
        outs = loop(*inputs)
    want = [i for i, t in enumerate(inputs) if ctx.needs_input_grad[i] and t.requires_grad]
    pairs = [(o, g) for o, g in zip(outs, grads, strict=True) if g is not None]
    got = torch.autograd.grad(
        [o for o, _ in pairs],
        [inputs[i] for i in want],
        [g for _, g in pairs],
        create_graph=True,
        allow_unused=True,
    )
    res = [None] * len(inputs)
    for i, g in zip(want, got, strict=True):
        res[i] = g if g is not None else torch.zeros_like(inputs[i])
    return res


class LEMSequence(torch.autograd.Function):
    """LEM over a sequence (eq. 3.8–3.9 of ``LEM``'s docstring) with hand-written BPTT.

    ``apply(drive (T, B, 4N), y0 (B, N), z0 (B, N), W_hh (3N, N), W_y (N, N), cell)`` ->
    ``(Y (T, B, N), z_T (B, N))``; ``cell`` gives N, Δt and the autograd loop for double
    backward. Saved: y_{0..T}, z_{1..T}, σ̂ values (T, B, 2N), tanh values t_z, t_y.
    """

    @staticmethod
    def forward(ctx, drive, y0, z0, Whh, Wy, cell):
        T, B, _ = drive.shape
        N, dt = cell.hidden_size, float(cell.dt)
        Y = drive.new_empty(T + 1, B, N)
        Z = drive.new_empty(T + 1, B, N)
        S = drive.new_empty(T, B, 2 * N)
        TZ = drive.new_empty(T, B, N)
        TY = drive.new_empty(T, B, N)
        Y[0], Z[0] = y0, z0
        dg, dyx = drive[..., : 3 * N], drive[..., 3 * N :]
        WhhT, WyT = Whh.T, Wy.T
        g = drive.new_empty(B, 3 * N)
        a = drive.new_empty(B, N)
        step = drive.new_empty(B, 2 * N) if dt != 1.0 else None
        # per-step views taken once (unbind), not by indexing in the loop
        Yv, Zv, TZv, TYv = Y.unbind(0), Z.unbind(0), TZ.unbind(0), TY.unbind(0)
        S1 = S[..., :N].unbind(0) if step is None else None
        S2 = S[..., N:].unbind(0) if step is None else None
        Sv = S.unbind(0)
        for t, (dg_t, dy_t) in enumerate(zip(dg.unbind(0), dyx.unbind(0), strict=True)):
            torch.addmm(dg_t, Yv[t], WhhT, out=g)
            torch.sigmoid(g[:, : 2 * N], out=Sv[t])
            torch.tanh(g[:, 2 * N :], out=TZv[t])
            if step is None:
                s1, s2 = S1[t], S2[t]
            else:
                torch.mul(Sv[t], dt, out=step)
                s1, s2 = step[:, :N], step[:, N:]
            torch.lerp(Zv[t], TZv[t], s1, out=Zv[t + 1])
            torch.addmm(dy_t, Zv[t + 1], WyT, out=a)
            torch.tanh(a, out=TYv[t])
            torch.lerp(Yv[t], TYv[t], s2, out=Yv[t + 1])
        ctx.save_for_backward(drive, y0, z0, Whh, Wy, Y, Z, S, TZ, TY)
        ctx.n_inputs, ctx.cell = 5, cell
        return Y[1:], Z[T]

    @staticmethod
    def backward(ctx, gY, gz):
        cell = ctx.cell
        if torch.is_grad_enabled():  # create_graph=True: exact, through the autograd loop
            return (*_recompute_grads(ctx, lambda *a: _lem_autograd(cell, *a), (gY, gz)), None)
        drive, _, _, Whh, Wy, Y, Z, S, TZ, TY = ctx.saved_tensors
        T, B, _ = drive.shape
        N, dt = cell.hidden_size, float(cell.dt)
        # per step, on (B, N) buffers that stay in cache (all-steps (T, B, N) temporaries were
        # measured slower: memory-bound): with Δ = dt σ̂ the steps [Δt, Δ̄t] and s a state part,
        #   δΔ = δs' (t − s),  δ(pre-σ̂) = δΔ dt σ̂ (1 − σ̂),  δ(pre-tanh) = δs' Δ (1 − t²),
        #   δs = δs' (1 − Δ)
        D = drive.new_empty(T, B, 4 * N)  # ∂L/∂drive = [δg (3N) | δa (N)] per step
        dy = drive.new_zeros(B, N) if gY is None else gY[T - 1].clone()
        dz = drive.new_zeros(B, N) if gz is None else gz.clone()
        one = drive.new_ones(())
        u, w, st = drive.new_empty(B, N), drive.new_empty(B, N), drive.new_empty(B, N)
        Yv, Zv, TZv, TYv = Y.unbind(0), Z.unbind(0), TZ.unbind(0), TY.unbind(0)
        S1, S2 = S[..., :N].unbind(0), S[..., N:].unbind(0)
        Dg1, Dg2, Dgz, Da = (D[..., i * N : (i + 1) * N].unbind(0) for i in range(4))
        Dg = D[..., : 3 * N].unbind(0)
        gYv = gY.unbind(0) if gY is not None else None

        def part(ds, s, tv, sv, d_sig, d_tanh):
            torch.sub(tv, sv, out=u)  # t − s
            torch.addcmul(s, s, s, value=-1.0, out=w)  # σ̂ (1 − σ̂)
            torch.mul(u, w, out=u)
            torch.mul(ds, u, out=d_sig)
            torch.addcmul(one, tv, tv, value=-1.0, out=w)  # 1 − t²
            if dt == 1.0:
                torch.mul(w, s, out=w)
                torch.mul(ds, w, out=d_tanh)
                ds.addcmul_(ds, s, value=-1.0)
            else:
                d_sig.mul_(dt)
                torch.mul(s, dt, out=st)
                torch.mul(w, st, out=w)
                torch.mul(ds, w, out=d_tanh)
                ds.addcmul_(ds, st, value=-1.0)

        for t in range(T - 1, -1, -1):
            if t < T - 1 and gYv is not None:
                dy.add_(gYv[t])
            # y' = y + Δ̄t (t_y − y), t_y = tanh(a), a = V_y x + b_y + W_y z'
            part(dy, S2[t], TYv[t], Yv[t], Dg2[t], Da[t])
            dz.addmm_(Da[t], Wy)  # δz' += δa W_y
            # z' = z + Δt (t_z − z), t_z = tanh(g_z)
            part(dz, S1[t], TZv[t], Zv[t], Dg1[t], Dgz[t])
            dy.addmm_(Dg[t], Whh)  # g = [V_1; V_2; V_z] x + b + W_hh y
        TB = T * B
        Dg = D[..., : 3 * N].reshape(TB, 3 * N)
        Da = D[..., 3 * N :].reshape(TB, N)
        gWhh = Dg.T @ Y[:T].reshape(TB, N) if ctx.needs_input_grad[3] else None
        gWy = Da.T @ Z[1:].reshape(TB, N) if ctx.needs_input_grad[4] else None
        return D, dy, dz, gWhh, gWy, None


def _lem_autograd(cell, drive, y0, z0, Whh, Wy):
    """The LEM loop on autograd (``LEM._parts``), for double backward."""
    w = (Whh, Wy, Whh.T, Wy.T)
    N = cell.hidden_size
    dg, dy = drive.split([3 * N, N], 2)
    y, z, outs = y0, z0, []
    for dg_t, dy_t in zip(dg.unbind(0), dy.unbind(0), strict=True):
        y, z = cell._parts(y, z, dg_t, dy_t, w)[:2]
        outs.append(y)
    return torch.stack(outs), z


#: the classical RK4 tableau: s_{i+1} = h + aᵢ·dt·kᵢ, h' = h + dt·Σ bᵢkᵢ
_RK4_A = (0.5, 0.5, 1.0)
_RK4_B = (1 / 6, 1 / 3, 1 / 3, 1 / 6)


class CTRNNRK4Sequence(torch.autograd.Function):
    """The CT-RNN's classical RK4 step over a sequence with hand-written BPTT.

    ``apply(drive (T, B, N), h0 (B, N), W (N, N), cell)`` -> ``H (T, B, N)``, the states after
    each step of ``τẋ = −x + W φ(x) + v`` (v = the drive, held over the step), with c = 1/τ:
    ``kᵢ = c(W φ(sᵢ) + v − sᵢ)``, ``s₁ = h``, ``s₂ = h + dt/2 k₁``, ``s₃ = h + dt/2 k₂``,
    ``s₄ = h + dt k₃``, ``h' = h + dt/6 (k₁ + 2k₂ + 2k₃ + k₄)``. Saved: φ(sᵢ) and φ'(sᵢ) of
    the four stages, (T, 4, B, N) each (the stages themselves are not needed). Backward, per
    step from δh' (the chain rule through the stages):
    ``δk₄ = dt/6 δh'``, ``δsᵢ = c((δkᵢ W) ⊙ φ'(sᵢ) − δkᵢ)``, ``δk₃ = dt/3 δh' + dt δs₄``,
    ``δk₂ = dt/3 δh' + dt/2 δs₃``, ``δk₁ = dt/6 δh' + dt/2 δs₂``, ``δh = δh' + Σ δsᵢ``; the
    drive's gradient is ``c Σ δkᵢ`` and ``δW = c Σ_{t,i} δkᵢᵀ φ(sᵢ)``, one GEMM over 4·T·B rows.
    """

    @staticmethod
    def forward(ctx, drive, h0, W, cell):
        T, B, N = drive.shape
        act, dt, c = cell._act.fn, float(cell.dt), 1.0 / float(cell.tau)
        name = cell._act.name
        P = drive.new_empty(T, 4, B, N)  # φ(sᵢ), for δW
        DP = drive.new_empty(T, 4, B, N)  # φ'(sᵢ), for δsᵢ
        H = drive.new_empty(T, B, N)
        WT = (c * W).T
        vc = c * drive
        k = drive.new_empty(B, N)
        acc = drive.new_empty(B, N)
        s = drive.new_empty(B, N)
        one = drive.new_ones(())
        h = h0
        coef = [a * dt for a in _RK4_A]
        weight = [6.0 * b for b in _RK4_B]  # the classical 1, 2, 2, 1 (then · dt/6)
        Pv, DPv, Hv = P.unbind(0), DP.unbind(0), H.unbind(0)
        for t, v in enumerate(vc.unbind(0)):
            pt, dpt = Pv[t].unbind(0), DPv[t].unbind(0)
            s.copy_(h)
            for i in range(4):
                if name == "tanh":
                    torch.tanh(s, out=pt[i])
                    torch.addcmul(one, pt[i], pt[i], value=-1.0, out=dpt[i])
                elif name == "sigmoid":
                    torch.sigmoid(s, out=pt[i])
                    torch.addcmul(pt[i], pt[i], pt[i], value=-1.0, out=dpt[i])
                else:
                    pt[i].copy_(act(s))
                    dpt[i].copy_(cell._act.deriv(s, pt[i]))
                torch.addmm(v, pt[i], WT, out=k)
                k.sub_(s, alpha=c)
                if i == 0:
                    acc.copy_(k)
                else:
                    acc.add_(k, alpha=weight[i])
                if i < 3:
                    torch.add(h, k, alpha=coef[i], out=s)
            torch.add(h, acc, alpha=dt / 6, out=Hv[t])
            h = Hv[t]
        ctx.save_for_backward(drive, h0, W, P, DP)
        ctx.n_inputs, ctx.cell = 3, cell
        return H

    @staticmethod
    def backward(ctx, gH):
        cell = ctx.cell
        if torch.is_grad_enabled():  # create_graph=True: exact, through the autograd loop
            return (*_recompute_grads(ctx, lambda *a: (_ctrnn_rk4_autograd(cell, *a),), (gH,)),
                    None)  # fmt: skip
        drive, _, W, P, DP = ctx.saved_tensors
        T, B, N = drive.shape
        dt, c = float(cell.dt), 1.0 / float(cell.tau)
        Wc = c * W
        DK = drive.new_empty(T, 4, B, N)
        D = drive.new_empty(T, B, N)
        dh = drive.new_zeros(B, N)
        ds = drive.new_empty(B, N)
        tot = drive.new_empty(B, N)
        DPv, DKv, Dv = DP.unbind(0), DK.unbind(0), D.unbind(0)
        gHv = gH.unbind(0)
        for t in range(T - 1, -1, -1):
            dh.add_(gHv[t])
            dpt, dk = DPv[t].unbind(0), DKv[t].unbind(0)
            tot.copy_(dh)  # δh = δh' + Σ δsᵢ
            for i in (3, 2, 1, 0):  # δkᵢ = bᵢ dt δh' + aᵢ dt δs_{i+1} (δs₅ = 0)
                torch.mul(dh, _RK4_B[i] * dt, out=dk[i])
                if i < 3:
                    dk[i].add_(ds, alpha=_RK4_A[i] * dt)
                torch.mm(dk[i], Wc, out=ds)
                ds.mul_(dpt[i])
                ds.sub_(dk[i], alpha=c)
                tot.add_(ds)
            torch.sum(DKv[t], 0, out=Dv[t])
            dh.copy_(tot)
        D.mul_(c)
        gW = None
        if ctx.needs_input_grad[2]:
            gW = c * (DK.reshape(-1, N).T @ P.reshape(-1, N))
        return D, dh, gW, None


def _ctrnn_rk4_autograd(cell, drive, h0, W):
    """The CT-RNN RK4 loop on autograd (``CTRNN._loop``'s arithmetic), for double backward."""
    act, dt, c = cell._act.fn, float(cell.dt), 1.0 / float(cell.tau)
    WT, vc, h, outs = (c * W).T, c * drive, h0, []
    for v in vc.unbind(0):
        k1 = torch.addmm(v, act(h), WT) - c * h
        s = h + 0.5 * dt * k1
        k2 = torch.addmm(v, act(s), WT) - c * s
        s = h + 0.5 * dt * k2
        k3 = torch.addmm(v, act(s), WT) - c * s
        s = h + dt * k3
        k4 = torch.addmm(v, act(s), WT) - c * s
        h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        outs.append(h)
    return torch.stack(outs)
