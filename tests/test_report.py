"""neurodyn.report: the Report container (strict JSON, one HTML page, PNGs) and how it shows a
certificate's verdict."""

from __future__ import annotations

import json

import pytest
from matplotlib.figure import Figure

from neurodyn._core import Certificate
from neurodyn.report import Report


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _cert(holds: bool, kind: str = "proof") -> Certificate:
    return Certificate(
        name="norm_product",
        holds=holds,
        margin=0.2 if holds else -2.04,
        kind=kind,
        method="q = ∏ ‖W_i‖₂ Lip(σ_i) (Drgoňa et al. 2022, Theorem 6)",
        conclusion="‖A*(x)‖₂ ≤ q < 1 for every x: f is a contraction",
        assumptions=("Lipschitz activations",),
    )


def _small_figure() -> Figure:
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    return fig


def test_write_produces_strict_json_html_and_pngs(tmp_path):
    rep = Report("t", data={"lam": [0.1, float("-inf")], "bad": float("nan")})
    rep.section("A").text("hello <b>").table([[1, float("inf")]], columns=["i", "v"])
    rep.figure(_small_figure(), "a.png", "caption a")
    rep.section("B").figure(_small_figure(), "b.png", "caption b", wide=True)
    body = rep.write(tmp_path / "out", json_name="r.json")
    out = tmp_path / "out"
    names = ["a.png", "b.png", "index.html", "r.json"]
    assert sorted(p.name for p in out.iterdir()) == [".neurodyn.json", *names]
    on_disk = _strict((out / "r.json").read_text())
    assert on_disk == body
    assert on_disk["lam"] == [0.1, "-inf"] and on_disk["bad"] == "nan"
    assert [s["title"] for s in on_disk["sections"]] == ["A", "B"]
    assert on_disk["figures"] == ["a.png", "b.png"]
    page = (out / "index.html").read_text()
    assert "hello &lt;b&gt;" in page and "+∞" in page  # escaped text, ∞ spelled out
    assert page.count("<style>") == 1 and "caption b" in page and "r.json" in page
    for name in ("a.png", "b.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_blocks_are_refused():
    rep = Report("t")
    with pytest.raises(ValueError, match="row 0 has 1 entries for 2 columns"):
        rep.table([[1]], columns=["a", "b"])
    with pytest.raises(ValueError, match=r"\.png"):
        rep.figure(_small_figure(), "../x.png")
    rep.figure(_small_figure(), "x.png")
    with pytest.raises(ValueError, match="already used"):
        rep.figure(_small_figure(), "x.png")
    with pytest.raises(ValueError, match="status"):
        rep.table([[1]], columns=["a"], status=["fine"])
    rep.table([[1], [2]], columns=["a"], status=["good", None])
    assert rep.sections[-1].blocks[-1]["status"] == ["good", None]
    with pytest.raises(TypeError, match="Certificate"):
        rep.certificate({"holds": True})


def test_a_failed_proof_never_reads_like_a_success(tmp_path):
    """The verdict and kind come first; a failing certificate's text is labelled as a finding,
    never as a conclusion, so a failed check is not read as a result."""
    rep = Report("t").certificate(_cert(False))
    page = rep.write(tmp_path) and (tmp_path / "index.html").read_text()
    assert "does not hold — nothing is concluded" in page and "✔ holds" not in page
    assert "Finding:" in page and "Conclusion:" not in page
    assert "cert fail" in page and "proof" in page
    ok = Report("t").certificate(_cert(True, "sampled"))
    page = ok.write(tmp_path / "ok") and (tmp_path / "ok" / "index.html").read_text()
    assert "✔ holds" in page and "Conclusion:" in page and "sampled points only" in page
    assert "does not hold" not in page
