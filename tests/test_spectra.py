"""Eigenvalues (closed-form 2×2), spectral radius, singular values and the spectral norm."""

from __future__ import annotations

import itertools

import mpmath
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import make_mlp
from neurodyn.pwa import linearize
from neurodyn.stability import eigvals, norm2, singular_values, spectral_radius

F64 = torch.float64


def _batch(*mats) -> torch.Tensor:
    return torch.tensor(mats, dtype=F64)


def assert_same_multiset(
    got: torch.Tensor, want: torch.Tensor, tol: float, A: torch.Tensor | None = None
) -> None:
    """Each row of ``got`` equals the corresponding row of ``want`` up to order, within
    ``tol·max|a_ij|`` of its matrix ``A`` (scale-invariant), or ``tol·(1 + max|want|)``."""
    assert got.shape == want.shape, (got.shape, want.shape)
    scales = (
        A.abs().amax(dim=(-2, -1)).tolist()
        if A is not None
        else (1 + want.abs().amax(dim=-1)).tolist()
    )
    for g, w, scale in zip(got, want, scales, strict=True):
        best = min(
            float((g[list(p)] - w).abs().max()) for p in itertools.permutations(range(len(g)))
        )
        assert best <= tol * scale, f"eigenvalues {g.tolist()} vs {w.tolist()}: error {best:.3e}"


def exact_eig2(A: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of 2×2 float64 matrices to ~50 digits (mpmath), as complex128."""
    out = []
    with mpmath.workdps(50):
        for m in A.tolist():
            (a, b), (c, d) = [[mpmath.mpf(v) for v in row] for row in m]
            half_tr = (a + d) / 2
            root = mpmath.sqrt(mpmath.mpc(((a - d) / 2) ** 2 + b * c))
            out.append([complex(half_tr + root), complex(half_tr - root)])
    return torch.tensor(out, dtype=torch.complex128)


# ---------------------------------------------------------------------------------------------
# eigvals
# ---------------------------------------------------------------------------------------------

SPECIAL_2X2 = {
    "zero": [[0.0, 0.0], [0.0, 0.0]],
    "nilpotent": [[0.0, 1.0], [0.0, 0.0]],
    "nilpotent_lower": [[0.0, 0.0], [1.0, 0.0]],
    "identity": [[1.0, 0.0], [0.0, 1.0]],
    "repeated_negative": [[-3.0, 0.0], [0.0, -3.0]],
    "jordan": [[2.0, 1.0], [0.0, 2.0]],
    "rotation": [[0.0, -1.0], [1.0, 0.0]],
    "complex_pair": [[0.5, -2.0], [1.5, -0.3]],
    "scaled_rotation": [[0.6, -0.8], [0.8, 0.6]],
    "symmetric_near_degenerate": [[1.0, 1e-9], [1e-9, 1.0]],
    "diag_near_degenerate": [[1.0, 0.0], [0.0, 1.0 + 1e-12]],
    "real_distinct": [[2.0, 1.0], [1.0, 3.0]],
    "triangular": [[0.3, 5.0], [0.0, -0.7]],
    "opposite_signs": [[1.0, 0.0], [0.0, -1.0]],
    "singular": [[1.0, 2.0], [2.0, 4.0]],
    "large": [[1e6, -3e5], [2e5, 4e5]],
    # products of entries under/overflow unless the closed forms rescale first
    "tiny_complex": [[1e-200, 3e-200], [-2e-200, 1e-200]],
    "tiny_real": [[1e-170, 3e-170], [2e-170, -1e-170]],
    "huge_complex": [[1e200, 3e200], [-2e200, 1e200]],
    "huge_real": [[1e300, -1e300], [-1e300, 5e299]],
    "subnormal": [[0.0, 4e-320], [-1e-320, 0.0]],
}


@pytest.mark.parametrize("name", sorted(SPECIAL_2X2))
def test_eig2_special_matrices_match_lapack(name):
    A = _batch(SPECIAL_2X2[name])
    got = eigvals(A)
    assert got.dtype == torch.complex128 and got.shape == (1, 2)
    assert_same_multiset(got, torch.linalg.eigvals(A), 1e-12, A)
    if name != "subnormal":  # a subnormal input itself carries only a few significant bits
        assert_same_multiset(got, exact_eig2(A), 1e-12, A)


def test_eig2_batch_of_special_matrices():
    A = _batch(*SPECIAL_2X2.values())
    assert_same_multiset(eigvals(A), torch.linalg.eigvals(A), 1e-12, A)


def test_eig2_nilpotent_and_zero_are_exactly_zero():
    got = eigvals(_batch([[0.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]))
    assert bool((got == 0).all())


def test_eig2_near_defective_is_accurate():
    """[[a, b], [c, a]] with tiny bc: eigenvalues a ± √(bc) are ill-conditioned for LAPACK's
    backward-stable QR (error ~ √ε ≈ 1e-8) but exact in the closed form, whose discriminant
    ((a−d)/2)² + bc has no cancellation here."""
    A = _batch(
        [[1.0, 1.0], [1e-20, 1.0]],
        [[1.0, 1.0], [-1e-20, 1.0]],
        [[-2.0, 3e-10], [5e-11, -2.0]],
        [[0.5, 1e-8], [-1e-8, 0.5]],
    )
    got = eigvals(A)
    want = exact_eig2(A)
    assert_same_multiset(got, want, 1e-15)
    assert abs(float(want[0, 0].real) - 1 - 1e-10) < 1e-15  # the splitting really is √(bc)
    # LAPACK is only accurate to ~√ε·‖A‖ here
    assert_same_multiset(torch.linalg.eigvals(A), want, 1e-6, A)


@given(
    st.lists(st.floats(-10, 10, allow_subnormal=False), min_size=4, max_size=4),
    st.sampled_from([1e-6, 1.0, 1e6]),
)
def test_eig2_random_matches_lapack(entries, scale):
    A = torch.tensor(entries, dtype=F64).reshape(1, 2, 2) * scale
    ref = exact_eig2(A)
    norm = float(A.abs().max())
    # away from the defective set the eigenvalues are well conditioned and LAPACK is accurate
    assume(float((ref[0, 0] - ref[0, 1]).abs()) > 1e-3 * norm)
    got = eigvals(A)
    assert_same_multiset(got, ref, 1e-12, A)
    assert_same_multiset(got, torch.linalg.eigvals(A), 1e-12, A)


def test_eig2_order_and_conjugate_symmetry():
    torch.manual_seed(0)
    A = torch.randn(200, 2, 2, dtype=F64) * 3
    lam = eigvals(A)
    assert bool((lam[:, 0].abs() >= lam[:, 1].abs() - 1e-12).all())  # larger modulus first
    cplx = lam[:, 0].imag != 0
    assert bool(cplx.any()) and bool((~cplx).any())
    assert torch.equal(lam[cplx, 0], lam[cplx, 1].conj())
    real = ~cplx
    assert bool((lam[real].imag == 0).all())
    assert_same_multiset(lam, torch.linalg.eigvals(A), 1e-10, A)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_eigvals_general_matches_lapack(n):
    torch.manual_seed(n)
    A = torch.randn(8, n, n, dtype=F64)
    A = torch.cat([A, torch.zeros(1, n, n, dtype=F64), torch.eye(n, dtype=F64)[None]])
    got = eigvals(A)
    assert got.shape == (10, n) and got.is_complex()
    assert_same_multiset(got, torch.linalg.eigvals(A), 1e-12, A)


def test_eigvals_non_square_raises():
    with pytest.raises(ValueError, match="singular_values"):
        eigvals(torch.zeros(3, 2, 4, dtype=F64))
    with pytest.raises(ValueError, match="singular_values"):
        spectral_radius(torch.zeros(3, 2, 4, dtype=F64))


def test_eigvals_bad_input_raises():
    with pytest.raises(ValueError, match="unsqueeze"):
        eigvals(torch.zeros(2, 2, dtype=F64))
    with pytest.raises(TypeError):
        eigvals([[1.0, 0.0], [0.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# spectral radius
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_spectral_radius_matches_eigvals(n):
    torch.manual_seed(10 + n)
    A = torch.randn(64, n, n, dtype=F64) * 2
    A = torch.cat([A, torch.zeros(1, n, n, dtype=F64)])
    rho = spectral_radius(A)
    assert rho.shape == (65,) and rho.dtype == F64
    ref = torch.linalg.eigvals(A).abs().amax(dim=-1)
    assert torch.allclose(rho, ref, rtol=1e-12, atol=1e-12)
    assert torch.allclose(rho, eigvals(A).abs().amax(dim=-1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SPECIAL_2X2))
def test_spectral_radius_special_2x2(name):
    A = _batch(SPECIAL_2X2[name])
    ref = torch.linalg.eigvals(A).abs().amax(dim=-1)
    if name != "subnormal":
        ref = exact_eig2(A).abs().amax(dim=-1)
    assert torch.allclose(spectral_radius(A), ref, rtol=1e-12, atol=0.0)


# ---------------------------------------------------------------------------------------------
# singular values and the spectral norm
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3), (4, 2), (1, 5)])
def test_norm2_is_largest_singular_value(shape):
    torch.manual_seed(sum(shape))
    A = torch.randn(50, *shape, dtype=F64) * 3
    A = torch.cat([A, torch.zeros(1, *shape, dtype=F64)])
    sv = singular_values(A)
    assert sv.shape == (51, min(shape))
    assert bool((sv[:, :-1] >= sv[:, 1:]).all())  # descending
    assert torch.allclose(sv, torch.linalg.svdvals(A), rtol=1e-12, atol=1e-12)
    assert torch.allclose(norm2(A), sv[:, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SPECIAL_2X2))
def test_norm2_closed_form_special_2x2(name):
    A = _batch(SPECIAL_2X2[name])
    assert torch.allclose(norm2(A), torch.linalg.svdvals(A)[:, 0], rtol=1e-12, atol=0.0)


def test_norm2_is_not_frobenius():
    A = _batch([[1.0, 0.0], [0.0, 2.0]], [[3.0, 1.0], [1.0, 3.0]])  # rank 2
    n2 = norm2(A)
    fro = torch.linalg.matrix_norm(A, ord="fro")
    assert torch.allclose(n2, torch.tensor([2.0, 4.0], dtype=F64), rtol=1e-15)
    assert bool((n2 < fro - 0.1).all())
    B = torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=F64))[None]
    assert float(norm2(B)) == pytest.approx(3.0, rel=1e-14)
    assert float(norm2(B)) != pytest.approx(float(torch.linalg.matrix_norm(B)), rel=1e-3)


# ---------------------------------------------------------------------------------------------
# AffineForm inputs and float32
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("widths", [[2, 8, 2], [3, 6, 3]])
def test_functions_accept_affine_form(widths):
    net = make_mlp(widths, "Tanh", seed=20)
    x = torch.randn(10, widths[0], dtype=F64)
    with torch.no_grad():
        form = linearize(net, x)
    assert torch.equal(eigvals(form), eigvals(form.A))
    assert torch.equal(form.eigvals(), eigvals(form.A))
    assert torch.equal(spectral_radius(form), spectral_radius(form.A))
    assert torch.equal(form.spectral_radius(), spectral_radius(form.A))
    assert torch.equal(singular_values(form), singular_values(form.A))
    assert torch.equal(form.singular_values(), singular_values(form.A))
    assert torch.equal(norm2(form), norm2(form.A))
    assert torch.equal(form.norm2(), norm2(form.A))


def test_non_square_affine_form():
    net = make_mlp([3, 5, 2], "ReLU", seed=21)
    x = torch.randn(4, 3, dtype=F64)
    with torch.no_grad():
        form = linearize(net, x)
    assert not form.is_square
    with pytest.raises(ValueError, match="singular_values"):
        form.eigvals()
    assert form.singular_values().shape == (4, 2)
    assert torch.allclose(form.norm2(), torch.linalg.svdvals(form.A)[:, 0], rtol=1e-12)


def test_float32_closed_forms_match_float64():
    """float32 2×2 eigenvalues, ρ and ‖·‖₂ within 1e-5 (relative to ‖A‖) of the float64 values
    of the same matrices; conditioned: eigenvalue gap ≥ 0.1·‖A‖ or a complex pair."""
    torch.manual_seed(30)
    A32 = torch.randn(500, 2, 2, dtype=torch.float32) * 5
    A64 = A32.double()
    ref = exact_eig2(A64)
    scale = A64.abs().amax(dim=(1, 2))
    ok = (ref[:, 0] - ref[:, 1]).abs() > 0.1 * scale
    assert int(ok.sum()) > 400
    lam32 = eigvals(A32[ok])
    assert lam32.dtype == torch.complex64
    assert_same_multiset(lam32.to(torch.complex128), ref[ok], 1e-5, A64[ok])
    rho_err = (spectral_radius(A32).double() - ref.abs().amax(dim=-1)).abs() / scale
    assert float(rho_err.max()) < 1e-5
    n2_err = (norm2(A32).double() - torch.linalg.svdvals(A64)[:, 0]).abs() / scale
    assert float(n2_err.max()) < 1e-5
