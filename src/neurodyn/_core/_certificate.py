"""``Certificate``: the one result type for every checked condition in neurodyn.

Stability certificates of feedforward maps, contraction certificates of recurrent models,
measurements of constrained weights and training monitors all return it, so reports, JSON and
the CLI treat them alike. ``kind`` is a closed set that says what ``holds=True`` means:

* ``"proof"`` — a theorem for every state under the listed ``assumptions``; ``evidence`` holds
  the numbers (norms, metric, bound) a reader needs to re-check it by hand.
* ``"sampled"`` — computed on a finite point set (or along trajectories); ``holds=True`` only
  says that no sampled point violated it. Nothing is claimed between samples.
* ``"heuristic"`` — a condition as a paper states it where the paper's argument is wrong;
  kept for comparison with the paper, never as a guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neurodyn._core._json import from_json_float, json_float, to_jsonable
from neurodyn._core._serial import register_result

__all__ = ["CERTIFICATE_KINDS", "Certificate", "CertificateReport"]

#: What ``Certificate.kind`` may be (see the module docstring).
CERTIFICATE_KINDS = ("proof", "sampled", "heuristic")


@register_result
@dataclass(frozen=True)
class Certificate:
    """One checked condition, with what it lets you conclude and the evidence.

    Attributes:
        name: short identifier, e.g. ``"norm_product"``.
        holds: whether the condition is satisfied (its meaning depends on ``kind``).
        margin: how far inside the condition: positive when it holds (e.g. 1 − q).
        kind: one of :data:`CERTIFICATE_KINDS`.
        method: what was computed, in one sentence, with the paper and equation it implements.
        conclusion: what ``holds=True`` lets you conclude (and, for sampled checks, what not).
        assumptions: the hypotheses under which the conclusion holds.
        evidence: numbers to check it by hand (JSON-ready).

    Raises:
        ValueError: ``kind`` outside :data:`CERTIFICATE_KINDS`.
    """

    name: str
    holds: bool
    margin: float
    kind: str
    method: str
    conclusion: str
    assumptions: tuple[str, ...] = ()
    evidence: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in CERTIFICATE_KINDS:
            raise ValueError(
                f"Certificate kind must be one of {CERTIFICATE_KINDS}, got {self.kind!r}."
            )

    @property
    def proven(self) -> bool:
        """True only for a proof that holds."""
        return self.holds and self.kind == "proof"

    def __repr__(self) -> str:
        verdict = "holds" if self.holds else "fails"
        return (
            f"Certificate({self.name!r}: {verdict}, kind={self.kind}, "
            f"margin={float(self.margin):.3g})"
        )

    def to_dict(self) -> dict:
        return {
            "result_type": "Certificate",
            "name": self.name,
            "holds": self.holds,
            "proven": self.proven,
            "margin": json_float(self.margin),
            "kind": self.kind,
            "method": self.method,
            "conclusion": self.conclusion,
            "assumptions": list(self.assumptions),
            "evidence": to_jsonable(self.evidence),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Certificate:
        """Inverse of :meth:`to_dict` (``evidence`` comes back in its JSON form: lists, and
        non-finite floats as the strings "nan" / "inf")."""
        return cls(
            name=d["name"],
            holds=bool(d["holds"]),
            margin=from_json_float(d["margin"]),
            kind=d["kind"],
            method=d["method"],
            conclusion=d["conclusion"],
            assumptions=tuple(d.get("assumptions", ())),
            evidence=dict(d.get("evidence", {})),
        )


@register_result
@dataclass(frozen=True)
class CertificateReport:
    """Several certificates for one model and domain, in a fixed order, looked up by name."""

    certificates: tuple[Certificate, ...]
    domain: dict

    def __getitem__(self, name: str) -> Certificate:
        for c in self.certificates:
            if c.name == name:
                return c
        raise KeyError(f"no certificate {name!r}; have {[c.name for c in self.certificates]}")

    def __iter__(self):
        return iter(self.certificates)

    def __len__(self) -> int:
        return len(self.certificates)

    def __repr__(self) -> str:
        held = sum(c.holds for c in self.certificates)
        proofs = sum(c.proven for c in self.certificates)
        return (
            f"CertificateReport({len(self)} certificates: {held} hold ({proofs} proofs), "
            f"{len(self) - held} fail; names {[c.name for c in self.certificates]})"
        )

    def to_dict(self) -> dict:
        return {
            "result_type": "CertificateReport",
            "domain": to_jsonable(self.domain),
            "certificates": [c.to_dict() for c in self.certificates],
        }

    @classmethod
    def from_dict(cls, d: dict) -> CertificateReport:
        """Inverse of :meth:`to_dict` (the domain in its JSON form)."""
        return cls(tuple(Certificate.from_dict(c) for c in d["certificates"]), dict(d["domain"]))
