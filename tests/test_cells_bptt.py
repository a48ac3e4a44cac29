"""The hand-written backpropagation through time of the cells' training forward
(``neurodyn.nn._cells._bptt``) against autograd of the cells' own loop.

Reference: the same cell with the fast path switched off (``fast_path`` patched to False in the
cell's module), i.e. autograd through ``_parts`` — code the hand-written backward did not produce.
float64; tolerance 1e-12: the two differ only in the order of roundings (the weight gradients
summed as one GEMM over T·B rows instead of T accumulations), ~1e-16 relative per term.
"""

from __future__ import annotations

import pytest
import torch
from torch.func import functional_call

import neurodyn.nn._cells._ctrnn as ctrnn_module
import neurodyn.nn._cells._lem as lem_module
from neurodyn.nn import CTRNN, LEM

F64 = torch.float64


def _lem(F, H, dt, batch_first=False, seed=0):
    torch.manual_seed(seed)
    return LEM(F, H, dt=dt, batch_first=batch_first).double()


def _grads(cell, x, h0, *, fast: bool, monkeypatch, create_graph=False, module=lem_module):
    """(out, h_T, gradients of a fixed loss w.r.t. x, h0 and the parameters); ``fast=False``
    switches the hand-written BPTT off in the cell's ``module``."""
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(module, "fast_path", lambda *t: False)
        out, hT = cell(x, h0)
        loss = (out**2).sum() + (hT.sin()).sum()
        leaves = [x] + ([h0] if h0 is not None else []) + list(cell.parameters())
        g = torch.autograd.grad(loss, leaves, create_graph=create_graph)
    return out, hT, g


@pytest.mark.parametrize("dt", [1.0, 0.4])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(("B", "T", "H"), [(1, 1, 1), (3, 7, 4), (5, 20, 9)])
def test_lem_gradients_equal_autograd_of_the_loop(B, T, H, batch_first, dt, monkeypatch):
    cell = _lem(2, H, dt, batch_first)
    shape = (B, T, 2) if batch_first else (T, B, 2)
    x = torch.randn(*shape, dtype=F64, requires_grad=True)
    h0 = (0.5 * torch.randn(B, 2 * H, dtype=F64)).requires_grad_(True)
    fast = _grads(cell, x, h0, fast=True, monkeypatch=monkeypatch)
    ref = _grads(cell, x, h0, fast=False, monkeypatch=monkeypatch)
    torch.testing.assert_close(fast[0], ref[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(fast[1], ref[1], atol=1e-12, rtol=0)
    for a, b in zip(fast[2], ref[2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


def test_lem_takes_the_fast_path_in_training_and_not_without_grad():
    cell = _lem(2, 3, 1.0)
    x = torch.randn(5, 2, 2, dtype=F64)
    out, _ = cell(x)
    assert "LEMSequence" in type(out.grad_fn).__name__
    with torch.no_grad():
        out2, _ = cell(x)
    torch.testing.assert_close(out2, out.detach(), atol=0, rtol=0)


def test_lem_default_h0_and_unbatched(monkeypatch):
    cell = _lem(2, 3, 0.7)
    x = torch.randn(6, 2, dtype=F64, requires_grad=True)  # unbatched (T, F), h0 = zeros
    fast = _grads(cell, x, None, fast=True, monkeypatch=monkeypatch)
    ref = _grads(cell, x, None, fast=False, monkeypatch=monkeypatch)
    for a, b in zip(fast[2], ref[2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_lem_gradcheck(dt):
    """Finite differences (torch.autograd.gradcheck) of every input and parameter, tiny sizes."""
    cell = _lem(2, 2, dt)
    x = torch.randn(3, 2, 2, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 4, dtype=F64, requires_grad=True)
    assert _gradcheck_through(cell, x, h0, "LEMSequence")


def _gradcheck_through(cell, x, h0, function: str) -> bool:
    """torch.autograd.gradcheck of (out, h_T) w.r.t. x, h0 and every parameter, asserting that
    the forward went through the hand-written ``function``."""
    names = [n for n, _ in cell.named_parameters()]
    params = [p.detach().clone().requires_grad_(True) for p in cell.parameters()]

    def f(x, h0, *ps):
        out, hT = functional_call(cell, dict(zip(names, ps, strict=True)), (x, h0))
        assert function in type(out.grad_fn).__name__
        return out, hT

    return torch.autograd.gradcheck(f, (x, h0, *params), eps=1e-6, atol=1e-8)


def test_lem_double_backward_equals_autograd(monkeypatch):
    """create_graph=True (Hessian-vector products): recomputed through the autograd loop."""
    cell = _lem(2, 3, 0.6)
    x = torch.randn(4, 2, 2, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 6, dtype=F64, requires_grad=True)
    _assert_hvps_agree(cell, x, h0, monkeypatch, lem_module)


def _assert_hvps_agree(cell, x, h0, monkeypatch, module):
    """Hessian-vector products (create_graph=True through the parameter gradients) with the
    hand-written BPTT equal those of the autograd loop, w.r.t. x, h0 and every parameter."""
    v = [torch.randn_like(p) for p in cell.parameters()]

    def hvp(fast):
        g = _grads(cell, x, h0, fast=fast, monkeypatch=monkeypatch, create_graph=True,
                   module=module)[2]  # fmt: skip
        dot = sum((a * b).sum() for a, b in zip(g[2:], v, strict=True))
        return torch.autograd.grad(dot, [x, h0, *cell.parameters()])

    for a, b in zip(hvp(True), hvp(False), strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


def test_lem_under_torch_func_falls_back(monkeypatch):
    """torch.func transforms (neurodyn.robustness's Hessian) run the autograd loop."""
    cell = _lem(2, 3, 1.0)
    x = torch.randn(4, 2, 2, dtype=F64)
    params = {n: p.detach() for n, p in cell.named_parameters()}

    def loss(ps):
        out, hT = functional_call(cell, ps, (x,))
        return (out**2).sum() + hT.sin().sum()

    got = torch.func.grad(loss)(params)
    ref = _grads(cell, x.clone().requires_grad_(True), None, fast=False, monkeypatch=monkeypatch)
    for a, b in zip(got.values(), ref[2][1:], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


# --- the CT-RNN's RK4 step ------------------------------------------------------------------


def _rk4(F, H, nonlinearity="tanh", batch_first=False, seed=0, tau=1.5, dt=0.3):
    torch.manual_seed(seed)
    cell = CTRNN(F, H, tau=tau, dt=dt, method="rk4", nonlinearity=nonlinearity,
                 batch_first=batch_first).double()  # fmt: skip
    with torch.no_grad():
        cell.weight_hh.mul_(3.0)  # reach the nonlinear range of φ
    return cell


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(("B", "T", "H"), [(1, 1, 1), (3, 7, 4), (5, 20, 9)])
def test_ctrnn_rk4_gradients_equal_autograd_of_the_loop(B, T, H, batch_first, nonlinearity,
                                                       monkeypatch):  # fmt: skip
    cell = _rk4(2, H, nonlinearity, batch_first)
    shape = (B, T, 2) if batch_first else (T, B, 2)
    x = torch.randn(*shape, dtype=F64, requires_grad=True)
    h0 = torch.randn(B, H, dtype=F64).requires_grad_(True)
    fast = _grads(cell, x, h0, fast=True, monkeypatch=monkeypatch, module=ctrnn_module)
    ref = _grads(cell, x, h0, fast=False, monkeypatch=monkeypatch, module=ctrnn_module)
    torch.testing.assert_close(fast[0], ref[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(fast[1], ref[1], atol=1e-12, rtol=0)
    for a, b in zip(fast[2], ref[2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


def test_ctrnn_rk4_takes_the_fast_path_and_matches_its_flow_map():
    """Training forward = the CTRNNFlow step (the Map the certificates and spectra use)."""
    import neurodyn

    cell = _rk4(2, 4)
    x = torch.randn(6, 3, 2, dtype=F64)
    out, _ = cell(x)
    assert "CTRNNRK4Sequence" in type(out.grad_fn).__name__
    flow, h = neurodyn.as_map(cell), torch.zeros(3, 4, dtype=F64)
    for t in range(6):
        h = flow.step(h, x[t])
        torch.testing.assert_close(out[t].detach(), h, atol=1e-13, rtol=0)


def test_ctrnn_rk4_gradcheck_and_double_backward(monkeypatch):
    cell = _rk4(2, 2)
    x = torch.randn(3, 2, 2, dtype=F64, requires_grad=True)
    h0 = torch.randn(2, 2, dtype=F64, requires_grad=True)
    assert _gradcheck_through(cell, x, h0, "CTRNNRK4Sequence")
    _assert_hvps_agree(cell, x, h0, monkeypatch, ctrnn_module)
