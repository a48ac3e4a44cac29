"""What a person reads on a report page: an unsorted finite-time spectrum said as such, a check
that does not apply shown as not applicable, zero written 0, no digits beyond the weights'
precision, a negative κ(H) explained, the recurrent page's inputs and verdict, and figures shown
at their size instead of stretched to the page's width."""

from __future__ import annotations

import html
import json
import math
import re

import torch

from neurodyn.report import (
    Report,
    analyze,
    fmt,
    fmt_pm,
    fmt_vector,
    lyapunov_report,
    render_html,
)


def _html(rep: Report) -> str:
    """The page :meth:`Report.write` writes, without drawing the figures (fast)."""
    kw = {"max_digits": rep.max_digits} if hasattr(rep, "max_digits") else {}  # (main: none)
    return render_html(rep.title, rep.to_dict()["sections"], **kw)


def _text(page: str) -> str:
    """A page's text without tags (entities decoded, whitespace collapsed)."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _summary(page: str) -> str:
    """The verdict box at the top of the page, as text ('' when there is none)."""
    m = re.search(r"<div class='summary'>(.*?)</div>", page, re.S)
    return _text(m.group(1)).strip() if m else ""


def _linear_spectrum(diagonal=(0.5, 0.9)):
    """diag(d₁, d₂) from the identity frame: each QR column stays on its axis, so the exponents
    are exactly (log d₁, log d₂) in that order, whichever is larger."""
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import LinearMap

    A = torch.diag(torch.tensor(diagonal, dtype=torch.float64))
    h0 = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=torch.float64)
    return lyapunov_spectrum(LinearMap(A), h0=h0, steps=30, warmup=0, q0="identity")


def test_unsorted_spectrum_is_said_and_the_json_keeps_the_qr_order():
    res = _linear_spectrum()
    # analytic: exponent i is log of the i-th diagonal entry (1e-12: 30 products of floats)
    assert abs(float(res.exponents[0]) - math.log(0.5)) < 1e-12
    assert abs(float(res.exponents[1]) - math.log(0.9)) < 1e-12
    rep = lyapunov_report(res)
    body = json.loads(json.dumps(rep.to_dict()))
    assert body["exponents"] == res.exponents.tolist()  # the JSON is not re-sorted
    page = _html(rep)
    text = _text(page)
    assert "Out of order: λ₁ < λ₂" in text and "not sorted" in text
    # the table keeps the QR order and gives each exponent's rank by value
    table = next(b for s in body["sections"] for b in s["blocks"] if b["type"] == "table")
    assert table["columns"][-1] == "rank"
    assert [r[0] for r in table["rows"]] == [1, 2] and [r[-1] for r in table["rows"]] == [2, 1]
    # λ_max is the largest value (λ₂ = log 0.9 = −0.10536), not the first column
    assert "λ_max = λ₂ = -0.1054" in text
    assert "λ_max = -0.1054" in _summary(page) and "< 0" in _summary(page)


def test_sorted_spectrum_has_no_order_note():
    text = _text(_html(lyapunov_report(_linear_spectrum((0.9, 0.5)))))
    assert "Out of order" not in text and "rank" not in text and "λ_max = λ₁ = -0.1054" in text


def test_a_check_that_does_not_apply_is_not_a_red_failure():
    """theorem6_sufficient on a 2-16-2 net (its weights are not square): grey, "not applicable"
    with the reason, and listed apart from the failed checks in the verdict box."""
    from neurodyn.stability import certify

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    certs = certify(net.double(), [(-1, 1), (-1, 1)], resolution=11)
    t6 = certs["theorem6_sufficient"]
    assert not t6.holds and math.isnan(t6.margin)  # what certify says: it cannot apply
    rep = Report("t")
    for c in certs:
        rep.certificate(c)
    page = _html(rep)
    block = re.search(r"<div class='cert (\w+)'><div><code>theorem6_sufficient</code>(.*?)"
                      r"Method", page, re.S)  # fmt: skip
    assert block and block.group(1) == "na", block
    shown = _text(block.group(0))
    assert "not applicable" in shown and "does not hold" not in shown
    assert "Some weight is not square" in shown and "margin NaN" not in shown
    summary = _summary(page)
    assert re.search(r"not applicable .*theorem6_sufficient", summary), summary
    assert "theorem6_sufficient" not in summary.split("not applicable")[0]
    # a check that applies and fails is still red
    assert re.search(r"<div class='cert fail'><div><code>norm_product</code>", page)


def test_zero_is_written_0_and_rounding_noise_is_not_shown():
    assert fmt(-0.0) == "0" and fmt(0.0, 1e-3) == "0"
    assert fmt(-8.327e-17, 1e-3) == "0" and fmt(-1e-5, 1e-3, sign=True) == "0"
    assert fmt_vector([-8.327e-17, -4.0], 1e-3) == "(0, -4.0000)"
    assert fmt_vector([-8.327e-17, -4.0]) == "(0, -4)"  # 2e-17 of the largest: a grid's rounding
    assert fmt_vector([1e-5, 2.0]) == "(1e-05, 2)"  # a small entry that is not noise stays
    from neurodyn.stability._sampling import fmt_point

    assert fmt_point(torch.tensor([-8.327e-17, -4.0], dtype=torch.float64)) == "(0, -4)"


def test_demo_page_has_no_negative_zero_or_rounding_noise():
    """The demo net over [−4, 4]²: the grid's middle coordinate is −2.2e-16, not 0, in float64
    (torch.linspace); it is the worst point of theorem6_necessary and the argmax of ρ."""
    from neurodyn.report import phase_plane_report
    from neurodyn.zoo import demo_net

    xs = torch.linspace(-4, 4, 21, dtype=torch.float64)
    assert xs[10] != 0 and abs(float(xs[10])) < 1e-15  # the noise this test is about
    text = _text(_html(phase_plane_report(demo_net(), resolution=21, basin_resolution=11,
                                          steps=20)))  # fmt: skip
    assert "(0, -4)" in text  # theorem6_necessary's worst point, where the noise was
    assert not re.search(r"-0\.0+\b", text), re.findall(r".{40}-0\.0+\b.{10}", text)
    assert not re.search(r"\de-1[5-7]", text), re.findall(r".{40}\de-1[5-7]", text)


def test_float16_weights_are_shown_to_3_digits():
    """A net saved in float16 (upcast to float32 on loading, as the loader records in the
    provenance): every number on the page has at most 3 significant digits; the JSON keeps
    all of them."""
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    net = net.half().float()  # the float16 weights, exactly, in float32
    prov = {"model": {"saved_dtype": "float16", "notes": ["weights saved as float16"]}}
    rep = analyze(net, [(-2, 2)] * 2, provenance=prov, resolution=11, basin_resolution=11,
                  steps=30, warmup=5)  # fmt: skip
    page = _html(rep)
    text = _text(page)
    assert "at most 3 significant digits, what float16 weights carry" in text
    lam = rep.data["lyapunov"]["max"]
    shown = re.search(r"λ_max = λ₁ = (\S+)", text).group(1).rstrip(",")
    assert len(shown.lstrip("-+").lstrip("0.").replace(".", "")) <= 3, shown
    assert abs(float(shown) - lam) <= 5e-3 * abs(lam)  # rounded at 3 digits, same number
    cells = re.findall(r"<td>([-+]?\d[\d.]*)</td>", page)
    assert cells
    for cell in cells:
        if "." in cell:  # integers (counts, indices) are exact
            assert len(cell.lstrip("-+").lstrip("0.").replace(".", "")) <= 3, cell
    body = json.loads(json.dumps(rep.to_dict()))
    assert body["lyapunov"]["max"] == lam and body["model"]["shown_digits"] == 3
    assert fmt_pm(-0.844274402, 1e-8, max_digits=3) == "-0.844 ± 1.0e-08"
    # a float64 model keeps the digits its standard errors support
    assert fmt_pm(-0.844274402, 1e-8, max_digits=15) == "-0.844274402 ± 1.0e-08"


def test_negative_kappa_says_not_at_a_minimum():
    from neurodyn.report import robustness_report
    from neurodyn.robustness import RobustnessResult
    from neurodyn.robustness._hessian import HessianResult

    kw = dict(params=("W",), n_params=4, samples=8, loss=0.7, lambda_max=2.0,
              top_eigenvalues=torch.tensor([2.0, 1.0]), power_lambda=2.0, power_iterations=10,
              trace=1.5, trace_stderr=0.1, probes=4)  # fmt: skip
    saddle = HessianResult(**kw, lambda_min=-0.5, kappa=-4.0)
    rep = robustness_report(RobustnessResult("m", "digits", 4, 10, 0.9, hessian=saddle))
    page = _html(rep)
    text = _text(page)
    assert "the trained θ is not at a minimum" in text and "λ_min = -0.5 ≤ 0" in text
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert "-4" not in cells and any("not at a minimum" in c for c in cells)
    assert json.loads(json.dumps(rep.to_dict()))["hessian"]["kappa"] == -4.0  # JSON: the ratio
    minimum = HessianResult(**kw, lambda_min=0.5, kappa=4.0)
    page = _html(robustness_report(RobustnessResult("m", "digits", 4, 10, 0.9, hessian=minimum)))
    assert "the trained θ is not at a minimum" not in _text(page)
    assert "4" in re.findall(r"<td>([^<]*)</td>", page)


def test_recurrent_page_says_its_inputs_and_has_a_verdict():
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 3, batch_first=True).double()
    rep = analyze(gru, steps=20, warmup=5, batch=2, input_std=0.5, seed=3)
    page = _html(rep)
    text = _text(page)
    assert (
        "Inputs: Gaussian inputs (std 0.5, seed 3); 2 sequences of 25 steps each (5 warm-up" in text
    )
    lam = rep.data["lyapunov"]["max"]
    summary = _summary(page)
    assert summary.startswith("Verdict. λ_max = ") and ("< 0" in summary) == (lam < 0), summary
    x = torch.zeros(2, 12, 2, dtype=torch.float64)
    rep = analyze(gru, inputs=x, warmup=2, inputs_description="two silent runs")
    text = _text(_html(rep))
    assert "Inputs: two silent runs; 2 sequences of 12 steps" in text
    assert "the given inputs" not in text


def test_cli_recurrent_defaults_are_named(tmp_path):
    """`neurodyn analyze` on an LSTM state dict with the default drive: the report names it."""
    from typer.testing import CliRunner

    from neurodyn.cli import app

    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(2, 3, batch_first=True).state_dict(), tmp_path / "lstm.pt")
    got = CliRunner().invoke(app, ["analyze", str(tmp_path / "lstm.pt"), "--json", "-",
                                   "--steps", "20", "--warmup", "5", "--batch", "2"])  # fmt: skip
    assert got.exit_code == 0, got.output
    body = json.loads(got.stdout)
    blocks = [b for s in body["sections"] for b in s["blocks"]]
    texts = " ".join(b["text"] for b in blocks if b["type"] == "text")
    assert "Inputs: 2 sequences of Gaussian inputs (std 1, seed 0)" in texts
    assert "the given inputs" not in texts
    assert [b["lead"][:9] for b in blocks if b["type"] == "verdict"] == ["λ_max = -"]


def test_a_figure_alone_is_shown_at_its_size_not_stretched(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.0, 3.0))
    fig.subplots().plot([0, 1], [0, 1])
    rep = Report("t").figure(fig, "one.png", "alone")
    rep.section("two").figure(fig, "a.png").figure(fig, "b.png")
    body = rep.write(tmp_path)
    png = (tmp_path / "one.png").read_bytes()
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    css = [round(w * 96 / 150), round(h * 96 / 150)]
    assert 150 * 4.0 * 0.8 < w <= 150 * 4.0  # 150 dpi (the tight bbox trims at most 20 %)
    assert body["sections"][0]["blocks"][0]["size"] == css  # CSS px: 96 per inch
    page = (tmp_path / "index.html").read_text()
    one = re.search(r"<figure([^>]*)><img src='one.png'[^>]*>", page).group(0)
    assert "class='alone'" in one and "wide" not in one
    assert f"width='{css[0]}' height='{css[1]}'" in one
    assert f"max-width: min(100%, {css[0]}px)" in one
    assert "figure.alone img, figure.wide img { width: auto; max-width: 100%" in page
    assert re.findall(r"<figure([^>]*)><img src='[ab].png'", page) == ["", ""]  # two to a row
