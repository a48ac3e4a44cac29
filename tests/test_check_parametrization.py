"""``neurodyn.testing.check_parametrization`` can fail: one deliberately broken parametrization
per check (registration, round trip, training, gradcheck), each caught with its stage named;
a user's own parametrization (subclassing ``P.Parametrization``) passes; bad input is refused."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from neurodyn.nn import parametrizations as P
from neurodyn.nn.parametrizations._factors import eye_like, randn, skew
from neurodyn.testing import check_parametrization

pytestmark = pytest.mark.usefixtures("one_thread")


class NegativeEntries(P.PerronFrobenius):
    """Broken at registration: shifts every entry by −0.05, so W ≥ 0 fails."""

    def forward(self, logits: Tensor, damping: Tensor) -> Tensor:
        return super().forward(logits, damping) - 0.05


class Reinitialises(P.Gershgorin):
    """Broken projection: re-draws the pattern instead of keeping the weight (geotorch habit)."""

    def _project(self, W: Tensor) -> tuple[Tensor]:
        return (randn(W.shape, W, None),)


class LeaksWhenLarge(P.SkewSymmetric):
    """Broken guarantee off the initial region: a symmetric part appears once |X| > 2."""

    def forward(self, X: Tensor) -> Tensor:
        L = torch.tril(X, -1)
        leak = 1e-2 * torch.relu(L.abs() - 2.0)
        return skew(L) + leak + leak.mT - self.gamma * eye_like(X)


class DetachedSkewPart(P.SymmetricSkew):
    """Broken gradient: the guarantee holds, but the skew part's gradient is dropped."""

    def forward(self, M: Tensor) -> Tensor:
        Md = M.detach()
        sym = (1 - self.beta) * (M + M.mT)
        return sym + self.beta * (Md - Md.mT) - self.gamma * eye_like(M)


def _register(p: P.Parametrization, n: int = 6, seed: int = 0) -> nn.Linear:
    torch.manual_seed(seed)
    lin = nn.Linear(n, n, dtype=torch.float64)
    parametrize.register_parametrization(lin, "weight", p)
    return lin


@pytest.mark.parametrize(
    ("make", "stage"),
    [
        (lambda: NegativeEntries(0.5, 0.9, init="random"), "at registration"),
        (lambda: Reinitialises(0.0, 0.5, complex=True, init="random"), "round trip"),
        (lambda: LeaksWhenLarge(0.1, init="random"), "Adam steps"),
        (lambda: DetachedSkewPart(0.7, 0.1, init="random"), "gradcheck"),
    ],
    ids=["registration", "round-trip", "training", "gradcheck"],
)
def test_each_check_fails_on_a_broken_parametrization(make, stage):
    lin = _register(make())
    with pytest.raises(AssertionError, match=stage):
        check_parametrization(lin, steps=40, lr=1.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: P.PerronFrobenius(0.5, 0.9, init="random"),
        lambda: P.Gershgorin(0.0, 0.5, complex=True, init="random"),
        lambda: P.SkewSymmetric(0.1, init="random"),
        lambda: P.SymmetricSkew(0.7, 0.1, init="random"),
    ],
    ids=["perron_frobenius", "gershgorin", "skew_symmetric", "symmetric_skew"],
)
def test_the_unbroken_parents_pass(make):
    """The same set-up with the parent classes passes: the failures above are the breakage."""
    check_parametrization(_register(make()), steps=40, lr=1.0)


class UnitDiagonal(P.Parametrization):
    """A user's own constraint: a diagonal weight with entries in (−1, 1) (``tanh``)."""

    name = "unit_diagonal"

    def forward(self, d: Tensor) -> Tensor:
        return torch.diag_embed(torch.tanh(d))

    def _project(self, W: Tensor) -> tuple[Tensor]:
        diag = torch.diagonal(W, dim1=-2, dim2=-1).clamp(-1 + 1e-6, 1 - 1e-6)
        return (torch.atanh(diag),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (randn(W.shape[:-1], W, self.generator),)

    def _measure(self, W: Tensor, *originals: Tensor) -> P.Measurement:
        Wd = W.detach().double()
        d = torch.diagonal(Wd).abs()
        off = float((Wd - torch.diag_embed(torch.diagonal(Wd))).abs().max())
        worst = max(float(d.max()) - 1.0, off)
        return P.Measurement(self.name, "|diagonal| (also: zero off-diagonal)", d, 0.0, 1.0,
                             worst, P.default_atol(W))  # fmt: skip


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_a_users_own_parametrization_passes(dtype):
    torch.manual_seed(0)
    lin = nn.Linear(5, 5, dtype=dtype)
    parametrize.register_parametrization(lin, "weight", UnitDiagonal("random", None))
    check_parametrization(lin, steps=30)
    check_parametrization(lin, steps=10, dtype=torch.float64)


def test_refuses_what_it_cannot_check():
    with pytest.raises(ValueError, match="not parametrized"):
        check_parametrization(nn.Linear(3, 3))
    soft = P.spectral_svd(nn.Linear(3, 3), sigma_min=0.5, sigma_max=1.0, soft=True)
    with pytest.raises(ValueError, match="guarantees nothing"):
        check_parametrization(soft)


def test_the_module_is_left_unchanged():
    torch.manual_seed(0)
    lin = P.contracting_svd(nn.Linear(5, 5), g=1.0, init="random")
    before = {k: v.clone() for k, v in lin.state_dict().items()}
    check_parametrization(lin, steps=10)
    for k, v in lin.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_stacks_pass():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(3, 4, 4, dtype=torch.float64))

    for name, kw in [("spectral_svd", {"sigma_min": 0.2, "sigma_max": 0.9}),
                     ("contracting_svd", {"g": 1.0}), ("gershgorin", {"center": 0, "radius": 1}),
                     ("skew_symmetric", {"gamma": 0.1}),
                     ("symmetric_skew", {"beta": 0.6, "gamma": 0.0})]:  # fmt: skip
        torch.manual_seed(0)
        mod = P.CONSTRAINTS[name].registrar(Stack(), **kw)
        check_parametrization(mod, steps=20)
