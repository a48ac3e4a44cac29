"""Conformance suite for ``neurodyn.nn.parametrizations``: every constraint, one property check.

For every entry of ``CONSTRAINTS`` × hyper-parameters × shapes (rectangular where the math allows,
a ValueError where it does not) × {float32, float64} × {init="project", init="random"}:
:func:`neurodyn.testing.check_parametrization` (guarantee at registration, members kept by the
projection, guarantee after 20 Adam steps on a loss pushing out of the set, float64 gradcheck),
gradients reach every original, and the bias is untouched. Members survive ``init="project"``
unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from neurodyn.nn import parametrizations as P
from neurodyn.testing import check_parametrization


@dataclass(frozen=True)
class Case:
    name: str
    kwargs: dict = field(default_factory=dict)
    # originals that legitimately get no gradient (fixed by the hyper-parameters)
    frozen: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return self.name + "".join(f"-{k}={v}" for k, v in self.kwargs.items())


CASES = [
    Case("perron_frobenius", {"lam_min": 0.5, "lam_max": 0.9}),
    Case("perron_frobenius", {"lam_min": 1.0, "lam_max": 1.0}, frozen=(1,)),  # seed 000 App. D
    Case("spectral_svd", {"sigma_min": 0.5, "sigma_max": 1.5}),
    Case("spectral_svd", {"sigma_min": 0.0, "sigma_max": 1.0}),
    Case("skew_symmetric", {"gamma": 0.1}),
    Case("symplectic"),
    Case("gershgorin", {"center": 0.5, "radius": 0.4}),
    Case("gershgorin", {"center": -1.3, "radius": 0.2, "complex": True}),
    Case("symmetric_skew", {"beta": 0.7, "gamma": 0.1}),
    Case("symmetric_skew", {"beta": 1.0, "gamma": 0.5}),
    Case("contracting_svd", {"g": 1.0}),
    Case("contracting_svd", {"g": 2.5}),
]
SHAPES = [(1, 1), (2, 2), (4, 4), (5, 5), (8, 8), (3, 6), (6, 3)]  # (out, in) = weight shape
DTYPES = [torch.float32, torch.float64]
SEEDS = [0, 1, 2]
STEPS = 20


pytestmark = pytest.mark.usefixtures("one_thread")


def test_every_constraint_has_a_case():
    assert {c.name for c in CASES} == set(P.CONSTRAINTS)


def _originals(lin: nn.Linear) -> list[torch.Tensor]:
    plist = lin.parametrizations.weight
    return [getattr(plist, f"original{i}") for i in range(plist.ntensors)]


@pytest.mark.parametrize("init", ["project", "random"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_conformance(case: Case, shape, dtype, init):
    """Every constraint through the public conformance check (``check_parametrization``: the
    guarantee at registration, members kept by the projection, the guarantee after Adam steps on
    a loss pushing out of the set, float64 gradcheck), plus what only this suite knows: the
    registrar's return value, untouched bias, dtype and shape, and which originals must get a
    nonzero gradient."""
    spec = P.CONSTRAINTS[case.name]
    out, inp = shape
    if not spec.accepts(out, inp):
        with pytest.raises(ValueError, match=r"square|even"):
            spec.registrar(nn.Linear(inp, out, dtype=dtype), **case.kwargs, init=init)
        return
    for seed in SEEDS:
        torch.manual_seed(seed)
        lin = nn.Linear(inp, out, dtype=dtype)
        bias = lin.bias.detach().clone()
        assert spec.registrar(lin, **case.kwargs, init=init) is lin
        assert torch.equal(lin.bias, bias)  # biases are never touched
        m0 = P.measure(lin)
        assert m0.guaranteed and m0.holds(), m0
        assert lin.weight.dtype == dtype and lin.weight.shape == (out, inp)

        x = torch.randn(16, inp, dtype=dtype)
        y = 3 * torch.randn(16, out, dtype=dtype)
        (lin(x) - y).pow(2).mean().backward()
        for i, o in enumerate(_originals(lin)):
            assert o.grad is not None and torch.isfinite(o.grad).all(), i
            # n = 1, 2 sets can be finite or flat (e.g. Gershgorin rows are ±r)
            if min(out, inp) >= 3 and i not in case.frozen:
                assert o.grad.abs().sum() > 0, f"original{i} gets no gradient"
        lin.zero_grad()
        check_parametrization(lin, steps=STEPS, lr=0.05, seed=seed, gradcheck=seed == 0)
        assert P.check(lin)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_many_seeds_at_init(case: Case, dtype):
    """A wider seed sweep at registration (cheap: no training), random and projected weights."""
    spec = P.CONSTRAINTS[case.name]
    shape = (6, 6) if spec.shapes != "any" else (4, 7)
    for seed in range(25):
        torch.manual_seed(100 + seed)
        for init in ("project", "random"):
            lin = nn.Linear(shape[1], shape[0], dtype=dtype)
            with torch.no_grad():
                lin.weight.mul_(1 + 5 * seed / 25)  # also far outside the set
            m = P.measure(spec.registrar(lin, **case.kwargs, init=init))
            assert m.holds(), (seed, init, m)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    ("case", "shape"),
    [
        (c, s)
        for c in CASES
        for s in [(2, 2), (5, 5), (6, 6), (3, 6), (6, 3)]
        if P.CONSTRAINTS[c.name].accepts(*s)
    ],
    ids=lambda v: v.id if isinstance(v, Case) else f"{v[0]}x{v[1]}",
)
def test_project_leaves_members_unchanged(case: Case, shape, dtype):
    """geotorch test_hurwitz habit: forward(right_inverse(W)) == W for W already in the set."""
    spec = P.CONSTRAINTS[case.name]
    torch.manual_seed(3)
    src = spec.registrar(nn.Linear(shape[1], shape[0], dtype=dtype), **case.kwargs, init="random")
    W = src.weight.detach().clone()
    extra = {}
    if case.name == "contracting_svd":  # a member certified by a non-trivial Φ
        extra["phi"] = torch.exp(src.parametrizations.weight.original0.detach())
    lin = nn.Linear(shape[1], shape[0], dtype=dtype)
    with torch.no_grad():
        lin.weight.copy_(W)
    spec.registrar(lin, **case.kwargs, **extra)  # init="project" is the default
    tol = 1e-5 if dtype == torch.float32 else 1e-11
    torch.testing.assert_close(lin.weight, W, atol=tol * max(1.0, float(W.abs().max())), rtol=0)


@pytest.mark.parametrize("g", [1.0, 2.0])
def test_contracting_project_identity_metric(g):
    """Φ = I members (‖W‖₂ < 1/g) are reproduced without passing phi."""
    torch.manual_seed(0)
    W = torch.randn(6, 6, dtype=torch.float64)
    W = W / torch.linalg.matrix_norm(W, 2) * (0.9 / g)
    lin = nn.Linear(6, 6, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(W)
    P.contracting_svd(lin, g=g)
    torch.testing.assert_close(lin.weight, W, atol=1e-12, rtol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("g", [1.0, 2.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contracting_svd_lmi_and_trajectories(seed, g, dtype):
    """Theorem 5 both ways: λmax(g²WᵀPW − P) < 0, and Euler trajectories of τẋ = −x + W relu(x)
    approach each other in the P-norm at rate ≥ h(1 − g‖ΦWΦ⁻¹‖₂)."""
    torch.manual_seed(seed)
    n = 6
    lin = P.contracting_svd(nn.Linear(n, n, dtype=dtype), g=g, init="random")
    opt = torch.optim.Adam(lin.parameters(), lr=0.1)
    x0 = torch.randn(32, n, dtype=dtype)
    for _ in range(STEPS):  # push singular values to the bound
        opt.zero_grad()
        (-lin(x0).pow(2).mean()).backward()
        opt.step()
    W = lin.weight.detach().double()
    Pm = P.contraction_metric(lin).double()
    lmi = g**2 * W.T @ Pm @ W - Pm
    top = float(torch.linalg.eigvalsh(0.5 * (lmi + lmi.T)).max())
    if dtype == torch.float64:
        assert top < 0  # margin 1e-6 ≫ float64 rounding
    else:
        assert top < 1e-5 * float(Pm.max())
    m = P.measure(lin)
    assert m.holds() and float(m.values.max()) < 1 / g + m.atol

    phi = torch.sqrt(torch.diagonal(Pm))
    rate = 1 - float(m.values.max()) * g  # contraction rate of the flow, in (0, 1]
    h = 0.5

    def act(z):  # slope in [0, g]
        return g * torch.relu(z)

    a = torch.randn(64, n, dtype=torch.float64)
    b = torch.randn(64, n, dtype=torch.float64)
    for _ in range(10):
        d0 = ((a - b) * phi).norm(dim=-1)
        a = a + h * (-a + act(a) @ W.T)
        b = b + h * (-b + act(b) @ W.T)
        d1 = ((a - b) * phi).norm(dim=-1)
        assert bool((d1 <= (1 - h * rate) * d0 * (1 + 1e-6) + 1e-12).all())


def test_symmetric_skew_prop2_bounds_match_seed_form():
    """(1−β)λ(M+Mᵀ) − γ bounds, computed from a known M (the corrected Prop. 2)."""
    torch.manual_seed(0)
    beta, gamma = 0.75, 0.3
    M = torch.randn(7, 7, dtype=torch.float64)
    lin = nn.Linear(7, 7, dtype=torch.float64)
    P.symmetric_skew(lin, beta=beta, gamma=gamma, init="random")
    lin.parametrizations.weight.original0.data.copy_(M)
    A = (1 - beta) * (M + M.T) + beta * (M - M.T) - gamma * torch.eye(7, dtype=torch.float64)
    torch.testing.assert_close(lin.weight, A)
    ev = torch.linalg.eigvalsh(M + M.T)
    re = torch.linalg.eigvals(A).real
    assert re.min() >= (1 - beta) * ev.min() - gamma - 1e-12
    assert re.max() <= (1 - beta) * ev.max() - gamma + 1e-12
    m = P.measure(lin)
    assert math.isclose(m.upper, float((1 - beta) * ev.max() - gamma), abs_tol=1e-12)


def test_perron_frobenius_projection_reproduces_nonneg_weights():
    W = torch.tensor([[0.2, 0.5, 0.0], [0.1, 0.1, 0.6], [0.3, 0.3, 0.2]], dtype=torch.float64)
    lin = nn.Linear(3, 3, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(W)
    P.perron_frobenius(lin, lam_min=0.6, lam_max=0.9)
    torch.testing.assert_close(lin.weight, W, atol=1e-12, rtol=0)


def test_spectral_svd_clamps_singular_values_and_keeps_vectors():
    torch.manual_seed(0)
    W = torch.randn(4, 6, dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)
    lin = nn.Linear(6, 4, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(W)
    P.spectral_svd(lin, sigma_min=0.9, sigma_max=1.1)
    torch.testing.assert_close(lin.weight, (U * S.clamp(0.9, 1.1)) @ Vh)


def test_assignment_projects_and_random_init_is_explicit():
    torch.manual_seed(0)
    lin = nn.Linear(5, 5, dtype=torch.float64)
    W0 = lin.weight.detach().clone()
    P.gershgorin(lin, center=0.0, radius=0.5, complex=True, init="random")
    assert not torch.allclose(lin.weight, W0)  # random: fresh factors, by request
    lin.weight = torch.randn(5, 5, dtype=torch.float64)  # later assignments project
    assert P.check(lin)
    # |W − λI| row sums (diagonal included) ≤ r, the largest exactly r (a N(0,1) draw has
    # ‖M‖∞ > 1, so it is scaled down onto the boundary)
    rows = lin.weight.abs().sum(-1)
    assert torch.all(rows <= 0.5 + 1e-12)
    torch.testing.assert_close(rows.max(), torch.tensor(0.5, dtype=torch.float64))


def test_cached_matches_uncached():
    torch.manual_seed(0)
    lin = P.spectral_svd(nn.Linear(6, 6), sigma_min=0.2, sigma_max=0.9)
    x = torch.randn(3, 6)
    with parametrize.cached():
        y1 = lin(lin(x))
    torch.testing.assert_close(y1, lin(lin(x)))


def test_soft_spectral_svd_is_labelled_and_penalised():
    torch.manual_seed(0)
    lin = P.spectral_svd(nn.Linear(4, 4, dtype=torch.float64), sigma_min=0.5, sigma_max=1.0,
                         soft=True)  # fmt: skip
    assert not P.measure(lin).guaranteed
    assert float(P.orthogonality_penalty(lin).detach()) < 1e-12  # SVD factors: orthonormal at start
    with torch.no_grad():
        lin.parametrizations.weight.original0.add_(0.3)
    pen = P.orthogonality_penalty(lin)
    assert float(pen.detach()) > 0.1
    pen.backward()
    assert lin.parametrizations.weight.original0.grad.abs().sum() > 0
    tall = P.spectral_svd(nn.Linear(3, 6), sigma_min=0.5, sigma_max=1.0, soft=True)
    assert float(P.orthogonality_penalty(tall).detach()) < 1e-5  # I − UUᵀ term dropped for tall U
    with pytest.raises(ValueError, match="soft=True"):
        P.orthogonality_penalty(P.spectral_svd(nn.Linear(3, 3), sigma_min=0, sigma_max=1))


@pytest.mark.parametrize(
    ("fn", "kwargs", "match"),
    [
        (P.perron_frobenius, {"lam_min": 0.9, "lam_max": 0.5}, "lam_min"),
        (P.perron_frobenius, {"lam_min": -0.1, "lam_max": 0.5}, "lam_min"),
        (P.spectral_svd, {"sigma_min": -1.5, "sigma_max": -1.1}, "nonnegative"),
        (P.gershgorin, {"center": 0.0, "radius": -1.0}, "radius"),
        (P.symmetric_skew, {"beta": 1.5, "gamma": 0.0}, "beta"),
        (P.symmetric_skew, {"beta": 0.5, "gamma": -1.0}, "gamma"),
        (P.contracting_svd, {"g": 0.0}, "g > 0"),
        (P.contracting_svd, {"g": 1.0, "phi": torch.zeros(4)}, "phi"),
        (P.skew_symmetric, {"gamma": float("nan")}, "finite"),
        (P.skew_symmetric, {"gamma": 0.0, "init": "zeros"}, "init"),
    ],
)
def test_bad_hyperparameters_raise(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(nn.Linear(4, 4), **kwargs)


def test_clear_errors_for_shapes_and_double_registration():
    with pytest.raises(ValueError, match="spectral_svd"):
        P.perron_frobenius(nn.Linear(3, 4), lam_min=0.0, lam_max=1.0)
    with pytest.raises(ValueError, match="even size"):
        P.symplectic(nn.Linear(3, 3))
    lin = P.skew_symmetric(nn.Linear(3, 3), gamma=0.0)
    with pytest.raises(ValueError, match="already parametrized"):
        P.gershgorin(lin, center=0.0, radius=1.0)
    with pytest.raises(ValueError, match="not parametrized"):
        P.check(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="2-D"):
        P.skew_symmetric(nn.Linear(3, 3), "bias", gamma=0.0)


def test_state_dict_round_trip_keeps_base_buffers():
    torch.manual_seed(0)
    a = P.spectral_svd(nn.Linear(5, 3), sigma_min=0.1, sigma_max=2.0)
    b = P.spectral_svd(nn.Linear(5, 3), sigma_min=0.1, sigma_max=2.0, init="random")
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a.weight, b.weight)


@pytest.mark.parametrize("complex_", [False, True])
def test_gershgorin_docstring_states_what_the_code_does(complex_):
    """The registrar's docstring once described a different map (rows scaled one by one to ℓ1 norm
    r by diag(1/s_i), zero diagonal). The code is ``W = λI + r·N/max(1, ‖N‖∞)`` with the diagonal
    of N trained (N = M for complex, (M + Mᵀ)/2 for real): rebuild W from the original that way."""
    doc = P.gershgorin.__doc__
    assert "diag(1/s_i)" not in doc and "max(1, ‖M‖∞)" in doc and "max(1, ‖N‖∞)" in doc
    torch.manual_seed(0)
    lin = P.gershgorin(nn.Linear(5, 5, dtype=torch.float64), center=0.3, radius=0.7,
                       complex=complex_, init="random")  # fmt: skip
    M = lin.parametrizations.weight.original0.detach()
    N = M if complex_ else 0.5 * (M + M.T)
    scale = max(1.0, float(N.abs().sum(dim=1).max()))
    expect = 0.3 * torch.eye(5, dtype=torch.float64) + 0.7 * N / scale
    torch.testing.assert_close(lin.weight, expect, rtol=0, atol=1e-15)
    assert float(torch.diagonal(lin.weight.detach() - 0.3).abs().max()) > 1e-3  # diagonal trained
