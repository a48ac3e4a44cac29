"""``Report``: sections of text, tables, certificates and figures, written as JSON + HTML + PNG.

One page template and one stylesheet serve every report neurodyn writes (``neurodyn demo``,
``neurodyn paper-figures``, ``neurodyn lyapunov --out``). The JSON file is strict JSON
(:func:`neurodyn._core.dump_json`: non-finite floats as ``"nan"`` / ``"inf"`` / ``"-inf"``) and
holds the report's ``data`` (the numbers, at the top level) followed by its ``sections`` (what
the HTML page shows, in order).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neurodyn._core import Certificate, dump_json, to_jsonable
from neurodyn.report._format import fmt

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FIGSIZE", "Report", "Section", "Summary", "not_applicable", "panel"]

#: Every figure a report draws itself has this size (inches), so the page's panels match.
FIGSIZE = (6.0, 4.8)


def panel():
    """A fresh Axes on a figure of the report's one size (:data:`FIGSIZE`)."""
    from matplotlib.figure import Figure

    return Figure(figsize=FIGSIZE, layout="compressed").subplots()


@dataclass
class _Figure:
    fig: Figure | Callable[[], Figure]
    name: str
    caption: str
    dpi: int
    wide: bool
    block: dict


#: CSS pixels per inch: a figure is shown at its size in inches (its PNG has dpi/96 pixels per
#: CSS pixel, so it stays sharp on a high-density screen instead of being stretched).
_CSS_DPI = 96


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@dataclass
class Section:
    """One titled part of a :class:`Report`: an ordered list of blocks (see ``Report``)."""

    title: str
    blocks: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    """What a command prints in the terminal about a :class:`Report` (:meth:`Report.summary`):
    a titled table of ``(quantity, value)`` rows in plain text, then ``notes`` (one line each).
    The sections that compute a number add its row (:meth:`Report.summarize`), so a report of
    any shape has the summary it knows how to print, and a printer needs no key of ``data``."""

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


class Report:
    """A report: numbers (``data``) and titled sections of text, tables, certificates and
    figures, written by :meth:`write` as ``index.html``, a JSON file and one PNG per figure.

    Blocks are added to the current section (the last one :meth:`section` opened; a first,
    untitled section exists from the start). Every adding method returns the report, so calls
    chain.

    Args:
        title: the page title.
        data: numbers written at the top level of the JSON file (any nesting of dicts, lists,
            numbers, strings, tensors or objects with ``to_dict()``); add more with
            ``report.data[key] = value``.
        max_digits: tables on the page show at most this many significant digits (e.g.
            :func:`neurodyn.report.dtype_digits` of the model's weights); None: no cap. The
            JSON keeps every digit.
        kind: the kind of output folder it is written as (docs/cli.md, "Output paths"):
            ``"report"``, or ``"train-run"`` for the report inside a training run's folder.

    Example:
        >>> import tempfile, json, pathlib
        >>> from matplotlib.figure import Figure
        >>> from neurodyn.report import Report
        >>> fig = Figure(figsize=(3, 2))
        >>> _ = fig.subplots().plot([0, 1], [1, 0])
        >>> report = Report("example", data={"rho_max": 0.93})
        >>> _ = report.section("Summary").text("ρ stays below 1.")
        >>> _ = report.table([[1, 0.5], [2, float("-inf")]], columns=["i", "λ_i"])
        >>> _ = report.figure(fig, "line.png", "A line.")
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     written = report.write(tmp)
        ...     files = sorted(p.name for p in pathlib.Path(tmp).iterdir())
        ...     on_disk = json.loads((pathlib.Path(tmp) / "report.json").read_text())
        >>> files  # .neurodyn.json marks the folder as a neurodyn report (may be overwritten)
        ['.neurodyn.json', 'index.html', 'line.png', 'report.json']
        >>> on_disk["rho_max"], on_disk["sections"][0]["blocks"][1]["rows"][1]
        (0.93, [2, '-inf'])
    """

    def __init__(
        self,
        title: str,
        *,
        data: dict | None = None,
        max_digits: int | None = None,
        kind: str = "report",
    ) -> None:
        self.title = str(title)
        self.kind = kind
        self.data: dict = dict(data or {})
        self.max_digits = max_digits
        self.sections: list[Section] = [Section("")]
        self._figures: list[_Figure] = []
        self.summary_title: str | None = None  # the terminal table's title (default: title)
        self._summary_rows: list[tuple[str, str]] = []
        self._summary_notes: list[str] = []

    # ------------------------------------------------------------------ building

    @property
    def _current(self) -> Section:
        return self.sections[-1]

    def section(self, title: str) -> Report:
        """Open a new section; later blocks go into it."""
        if not self._current.title and not self._current.blocks:
            self._current.title = str(title)
        else:
            self.sections.append(Section(str(title)))
        return self

    def text(self, text: str) -> Report:
        """A paragraph of plain text (HTML-escaped on the page)."""
        self._current.blocks.append({"type": "text", "text": str(text)})
        return self

    def table(self, rows, columns, *, caption: str = "", status=None, precision=None) -> Report:
        """A table: ``rows`` is a sequence of rows with one value per entry of ``columns``.

        Floats are shown rounded (:func:`neurodyn.report.fmt`; ``−∞`` / ``+∞`` / ``NaN``
        spelled out) and kept exactly in the JSON file. ``precision`` (optional, one entry per
        column) says how: None — 4 significant digits; a float — an absolute tolerance, the
        value is rounded to its leading digit; a column name — that column holds each row's
        uncertainty (e.g. ``"± s.e."``). ``status`` (optional, one per row: ``"good"``,
        ``"warn"``, ``"bad"`` or ``None``) colours the rows, e.g. pass / expected fail / fail.

        Raises:
            ValueError: a row whose length differs from ``len(columns)``, a bad ``status`` or
                ``precision``.
        """
        columns = [str(c) for c in columns]
        rows = [list(r) for r in rows]
        for i, r in enumerate(rows):
            if len(r) != len(columns):
                raise ValueError(
                    f"table row {i} has {len(r)} entries for {len(columns)} columns {columns}."
                )
        block = {"type": "table", "columns": columns, "rows": to_jsonable(rows), "caption": caption}
        if precision is not None:
            precision = list(precision)
            bad = [p for p in precision if isinstance(p, str) and p not in columns]
            if len(precision) != len(columns) or bad:
                raise ValueError(
                    f"precision needs one entry per column {columns} (None, a tolerance or a "
                    f"column name), got {precision}."
                )
            block["precision"] = precision
        if status is not None:
            status = list(status)
            if len(status) != len(rows) or not set(status) <= {"good", "warn", "bad", None}:
                raise ValueError(
                    "status needs one of 'good', 'warn', 'bad' or None per row, got "
                    f"{len(status)} entries {sorted(set(map(str, status)))} for {len(rows)} rows."
                )
            block["status"] = status
        self._current.blocks.append(block)
        return self

    def certificate(self, cert: Certificate, *, evidence_for: str | None = None) -> Report:
        """A certificate with its verdict (``holds``) and ``kind`` shown first: a failed check
        reads "does not hold — nothing is concluded", whatever its text says.

        ``evidence_for``: the name of the model-level certificate this one is evidence for
        (a Sparse Combo Net's ``block0`` for ``assembly``): shown as evidence about a part,
        and not counted in the page's verdict."""
        if not isinstance(cert, Certificate):
            raise TypeError(f"certificate() takes a Certificate, got {type(cert).__name__}.")
        block = {"type": "certificate", **cert.to_dict()}
        if evidence_for is not None:
            block["evidence_for"] = str(evidence_for)
        self._current.blocks.append(block)
        margin = fmt(cert.margin, sign=isinstance(cert.margin, float))
        verdict = "holds" if cert.holds else "does not hold"
        value = f"{verdict} (margin {margin})"
        if not_applicable(block) is not None:  # as on the page: neither verdict, no margin
            value = "not applicable"
        part = f" (evidence for {evidence_for})" if evidence_for is not None else ""
        return self.summarize(f"{cert.name} [{cert.kind}]{part}", value)

    def verdict(self, lead: str, items=(), *, status: str | None = None) -> Report:
        """The page's verdict: ``lead`` (one sentence) and ``items`` (short lines) shown in the
        box at the top of the page, with the certificates' verdicts when there are any.
        ``status`` (``"pass"``, ``"fail"`` or None) colours the lead."""
        if status not in ("pass", "fail", None):
            raise ValueError(f"verdict status must be 'pass', 'fail' or None, got {status!r}.")
        self._current.blocks.append(
            {"type": "verdict", "lead": str(lead), "items": [str(i) for i in items],
             "status": status}
        )  # fmt: skip
        return self

    def figure(
        self,
        fig: Figure | Callable[[], Figure],
        name: str,
        caption: str = "",
        *,
        dpi: int = 150,
        wide: bool = False,
    ) -> Report:
        """A matplotlib figure, saved as ``name`` (a ``.png`` file name) by :meth:`write` at
        ``dpi`` and shown at its size in inches (96 CSS pixels per inch, at most the page's
        width), never stretched: 150 dpi gives 1.6 image pixels per CSS pixel, sharp when a
        browser zooms or a screen is denser. Figures in a row share the page two to a row;
        ``wide`` gives one a row of its own (multi-panel figures). ``fig`` may be a function
        of no arguments returning the figure: it is drawn only when the report is written (a
        report that is only read as JSON draws nothing).

        Raises:
            ValueError: ``name`` not a plain ``.png`` file name, or already used.
        """
        if Path(name).name != name or not name.endswith(".png"):
            raise ValueError(f"figure name must be a plain file name ending in .png, got {name!r}.")
        if any(f.name == name for f in self._figures):
            raise ValueError(f"figure name {name!r} is already used in this report.")
        block = {"type": "figure", "file": name, "caption": str(caption), "wide": bool(wide)}
        self._figures.append(_Figure(fig, name, str(caption), int(dpi), bool(wide), block))
        self._current.blocks.append(block)
        return self

    def summarize(self, quantity: str, value: str) -> Report:
        """Add a row to the terminal summary (:meth:`summary`); ``value`` already rounded."""
        self._summary_rows.append((str(quantity), str(value)))
        return self

    def summary_note(self, text: str) -> Report:
        """Add a line printed after the summary table (e.g. what was not done, and why)."""
        self._summary_notes.append(str(text))
        return self

    def summary(self) -> Summary:
        """The terminal summary: the rows and notes the sections added, in order
        (a certificate adds its verdict row by itself, :meth:`certificate`)."""
        title = self.summary_title if self.summary_title is not None else self.title
        return Summary(title, tuple(self._summary_rows), tuple(self._summary_notes))

    # ------------------------------------------------------------------ writing

    @property
    def figure_names(self) -> list[str]:
        """The PNG file names, in the order added."""
        return [f.name for f in self._figures]

    def to_dict(self) -> dict:
        """The JSON content: ``neurodyn_output`` (``"report"``: the mark by which neurodyn
        knows the file as its own and may overwrite it), ``title``, the ``data`` entries,
        ``sections`` and ``figures``."""
        body = {"neurodyn_output": "report", "title": self.title, **self.data}
        body["sections"] = [{"title": s.title, "blocks": s.blocks} for s in self.sections]
        body["figures"] = self.figure_names
        return to_jsonable(body)

    def write(self, out_dir: str | Path, *, json_name: str = "report.json") -> dict:
        """Write ``index.html``, ``json_name`` and the PNGs into ``out_dir`` (created), and the
        folder's marker ``.neurodyn.json``.

        ``out_dir`` may be new, empty, or a folder neurodyn wrote as the same :attr:`kind`
        (:func:`neurodyn._core._files.claim_folder`); there the earlier report is replaced
        whole: its files that this report does not write again are removed, other files are
        left alone.

        Returns:
            The JSON content as written (:meth:`to_dict`).

        Raises:
            OutputExistsError: ``out_dir`` is a file, a non-empty folder neurodyn did not write,
                another kind of neurodyn output, or holds a file of this report's names that
                the earlier report there did not write (nothing is written then).
        """
        from neurodyn._core._files import claim_folder, mark_folder, report_files

        if Path(json_name).name != json_name or not json_name.endswith(".json"):
            raise ValueError(
                f"json_name must be a plain file name ending in .json, got {json_name!r}."
            )
        out = claim_folder(out_dir, self.kind, what="Report.write: out_dir")
        old = report_files(out) if out.is_dir() else set()
        names = [*self.figure_names, json_name, "index.html"]
        clash = [n for n in names if (out / n).exists() and n not in old]
        if clash:
            from neurodyn._core import OutputExistsError

            raise OutputExistsError(
                f"Report.write: {out} holds {', '.join(clash)}, which no earlier neurodyn "
                "report there wrote; move them away or choose another folder."
            )
        out.mkdir(parents=True, exist_ok=True)
        from matplotlib.figure import Figure as _MplFigure

        for f in self._figures:
            fig = f.fig if isinstance(f.fig, _MplFigure) else f.fig()
            fig.savefig(out / f.name, dpi=f.dpi, bbox_inches="tight")
            w, h = _png_size(out / f.name)
            f.block["size"] = [round(w * _CSS_DPI / f.dpi), round(h * _CSS_DPI / f.dpi)]
        body = self.to_dict()
        dump_json(body, out / json_name)
        page = render_html(self.title, body["sections"], json_name, max_digits=self.max_digits)
        (out / "index.html").write_text(page)
        mark_folder(out, self.kind, report_files=names)
        for stale in old - set(names):
            (out / stale).unlink(missing_ok=True)
        return body


# ---------------------------------------------------------------------- HTML

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.6em 0 1.2em; }
td, th { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; } caption { caption-side: bottom; color: #555; font-size: 0.9em; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; }
figure { flex: 0 0 calc(50% - 0.5em); margin: 0; min-width: 0; }
figure img { display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: contain;
             background: #fff; }
figure.alone { flex: 0 1 auto; max-width: 100%; }
figure.wide { flex-basis: 100%; }
figure.alone img, figure.wide img { width: auto; max-width: 100%; height: auto;
                                    aspect-ratio: auto; }
figcaption { font-size: 0.88em; color: #555; }
table { display: block; max-width: 100%; overflow-x: auto; }
.summary { border: 1px solid #ccc; background: #f6f8fa; padding: 0.6em 1em; margin: 1em 0; }
.summary ul { margin: 0.3em 0; } .summary .pass { color: #1a7f37; }
.summary .fail { color: #cf222e; }
code { overflow-wrap: anywhere; } p, li { overflow-wrap: anywhere; }
.cert { border: 1px solid #ccc; border-left: 6px solid #999; padding: 0.5em 1em; margin: 0.8em 0; }
.cert.pass { border-left-color: #1a7f37; } .cert.fail { border-left-color: #cf222e; }
.cert.na { border-left-color: #999; }
.verdict { font-weight: bold; font-size: 1.05em; }
.pass .verdict { color: #1a7f37; } .fail .verdict { color: #cf222e; }
.na .verdict, .summary .na { color: #666; }
.kind { display: inline-block; padding: 0 0.5em; border-radius: 0.8em; background: #eee;
        font-size: 0.85em; margin-left: 0.5em; }
.muted { color: #666; } .small { font-size: 0.88em; }
tr.good td { background: #eefbf1; } tr.warn td { background: #fff8e5; }
tr.bad td { background: #ffebe9; font-weight: bold; }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>{style}</style></head><body>
<h1>{title}</h1>
{summary}
{body}
<p class="small">Full numbers: <a href="{json}">{json}</a>.</p>
</body></html>
"""

_KIND_WORDS = {
    "proof": "holds for every state under the stated assumptions",
    "sampled": "checked on sampled points only",
    "heuristic": "a paper's condition whose argument is flawed; never a guarantee",
}


def not_applicable(cert: dict) -> str | None:
    """Why a certificate (as in :meth:`Certificate.to_dict`) does not apply, or None when it
    does: a check whose structure is absent (a non-square weight, W ≠ Wᵀ, …) fails with a
    conclusion that starts "not applicable"; it is shown as such, not as a failed check."""
    text = str(cert.get("conclusion", ""))
    if cert.get("holds") or not text.lower().startswith("not applicable"):
        return None
    reason = text[len("not applicable") :].lstrip(" :—-")
    return reason[:1].upper() + reason[1:] if reason else "its structure is absent."


def _cell(v: Any, uncertainty=None, max_digits: int | None = None) -> str:
    if isinstance(v, list):
        return "(" + ", ".join(_cell(x, uncertainty, max_digits) for x in v) + ")"
    if isinstance(uncertainty, str):
        uncertainty = None
    return fmt(v, uncertainty, max_digits=max_digits)


def _table_html(block: dict, max_digits: int | None = None) -> str:
    esc = html.escape
    columns = block["columns"]
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    status = block.get("status") or [None] * len(block["rows"])
    precision = block.get("precision") or [None] * len(columns)

    def unc(row: list, p):
        if isinstance(p, str):
            return row[columns.index(p)]
        return p

    rows = "".join(
        (f"<tr class='{st}'>" if st else "<tr>")
        + "".join(
            f"<td>{esc(_cell(v, unc(r, p), max_digits))}</td>"
            for v, p in zip(r, precision, strict=True)
        )
        + "</tr>"
        for r, st in zip(block["rows"], status, strict=True)
    )
    cap = f"<caption>{esc(block['caption'])}</caption>" if block.get("caption") else ""
    return f"<table>{cap}<tr>{head}</tr>{rows}</table>"


def _certificate_html(c: dict) -> str:
    esc = html.escape
    holds = bool(c["holds"])
    reason = not_applicable(c)
    margin = c["margin"]
    margin = fmt(margin, sign=isinstance(margin, float))
    if reason is not None:
        cls, verdict, label = "na", "— not applicable", "Why"
        text, margin_line = reason, ""
    else:
        cls = "pass" if holds else "fail"
        verdict = "✔ holds" if holds else "✘ does not hold — nothing is concluded from this check"
        # a failing certificate's text says what was found (certify words it from the verdict)
        label = "Conclusion" if holds else "Finding"
        text, margin_line = c["conclusion"], f"<div class='small'>margin {esc(margin)}</div>"
    assumptions = "".join(f"<li>{esc(a)}</li>" for a in c.get("assumptions", []))
    return (
        f"<div class='cert {cls}'>"
        f"<div><code>{esc(c['name'])}</code> <span class='verdict'>{verdict}</span>"
        f"<span class='kind'>{esc(c['kind'])}: {esc(_KIND_WORDS.get(c['kind'], ''))}</span>"
        + (
            f"<span class='kind'>evidence for {esc(c['evidence_for'])}: about one part, not "
            "the whole model</span>"
            if c.get("evidence_for")
            else ""
        )
        + f"</div>{margin_line}"
        f"<p class='{'' if holds else 'muted'}'><b>{label}:</b> {esc(text)}</p>"
        f"<p class='small muted'><b>Method:</b> {esc(c['method'])}</p>"
        + (f"<ul class='small muted'>{assumptions}</ul>" if assumptions and reason is None else "")
        + "</div>"
    )


def _figures_html(blocks: list[dict]) -> str:
    """Two figures to a row at one size; a figure alone in its gallery, or ``wide``, at its
    size in inches (``size``, CSS pixels, recorded by :meth:`Report.write`) or the page's
    width when that is smaller, never stretched beyond it."""
    esc = html.escape

    def figure(b: dict) -> str:
        size = b.get("size")
        cls = "wide" if b.get("wide") else "alone" if len(blocks) == 1 else ""
        attrs = f" width='{size[0]}' height='{size[1]}'" if size and cls else ""
        style = f" style='max-width: min(100%, {size[0]}px)'" if size and cls == "alone" else ""
        klass = f" class='{cls}'" if cls else ""
        return (
            f"<figure{klass}{style}>"
            f"<img src='{esc(b['file'])}' alt='{esc(b['file'])}'{attrs}>"
            f"<figcaption>{esc(b['caption'])}</figcaption></figure>"
        )

    return "<div class='gallery'>" + "".join(figure(b) for b in blocks) + "</div>"


def _verdict_summary(sections: list[dict]) -> str:
    """The box at the top of the page: the report's own verdict lines (:meth:`Report.verdict`)
    and the certificates' verdicts grouped by kind (proof first); not-applicable checks are
    listed apart, in grey, with neither verdict."""
    blocks = [b for s in sections for b in s["blocks"]]
    found = [b for b in blocks if b["type"] == "certificate"]
    certs = [c for c in found if not c.get("evidence_for")]  # about the whole model
    parts = [c for c in found if c.get("evidence_for")]  # about a part: evidence only
    own = [b for b in blocks if b["type"] == "verdict"]
    if not certs and not own:
        return ""
    esc = html.escape
    leads, items = [], []
    for v in own:
        cls = {"pass": " class='pass'", "fail": " class='fail'"}.get(v.get("status"), "")
        leads.append(f"<span{cls}>{esc(v['lead'])}</span>")
        items += [f"<li>{esc(i)}</li>" for i in v.get("items", [])]
    applicable = [c for c in certs if not_applicable(c) is None]
    na = [c["name"] for c in certs if not_applicable(c) is not None]
    for kind in ("proof", "sampled", "heuristic"):
        of_kind = [c for c in applicable if c["kind"] == kind]
        if not of_kind:
            continue
        held = [c["name"] for c in of_kind if c["holds"]]
        failed = [c["name"] for c in of_kind if not c["holds"]]
        words = []
        if held:
            words.append(f"<span class='pass'>holds: {esc(', '.join(held))}</span>")
        if failed:
            words.append(f"<span class='fail'>does not hold: {esc(', '.join(failed))}</span>")
        items.append(f"<li><b>{kind}</b> ({esc(_KIND_WORDS[kind])}): {'; '.join(words)}</li>")
    if na:
        items.append(
            f"<li class='na'><b>not applicable</b> (the model lacks the structure the check "
            f"needs; see its reason below): {esc(', '.join(na))}</li>"
        )
    if parts:
        held = [c["name"] for c in parts if c["holds"]]
        failed = [c["name"] for c in parts if not c["holds"]]
        words = [f"holds: {', '.join(held)}"] * bool(held)
        words += [f"does not hold: {', '.join(failed)}"] * bool(failed)
        items.append(
            "<li><b>evidence</b> (certificates of parts, e.g. one block; not counted in the "
            f"verdict): {esc('; '.join(words))}</li>"
        )
    if certs:
        proofs = [c for c in certs if c["kind"] == "proof" and c["holds"]]
        lead = (
            f"{len(proofs)} proof certificate{'s' if len(proofs) != 1 else ''} "
            "hold" + ("s" if len(proofs) == 1 else "")
            if proofs
            else "No proof certificate holds: nothing is guaranteed for every state"
        )
        leads.append(f"{esc(lead)}.")
    foot = "<span class='small muted'>Details under Certificates below.</span>" if certs else ""
    return (
        f"<div class='summary'><b>Verdict.</b> {' '.join(leads)}<ul>{''.join(items)}</ul>"
        f"{foot}</div>"
    )


def render_html(
    title: str,
    sections: list[dict],
    json_name: str = "report.json",
    *,
    max_digits: int | None = None,
) -> str:
    """The HTML page of a report's ``sections`` (as in :meth:`Report.to_dict`): the verdict
    box first (the report's verdict and its certificates'), then the sections; consecutive
    figures share one gallery; table numbers show at most ``max_digits`` significant
    digits."""
    esc = html.escape
    parts: list[str] = []
    for s in sections:
        if s["title"]:
            parts.append(f"<h2>{esc(s['title'])}</h2>")
        pending: list[dict] = []
        for b in [*s["blocks"], {"type": "end"}]:
            if b["type"] == "figure":
                pending.append(b)
                continue
            if pending:
                parts.append(_figures_html(pending))
                pending = []
            if b["type"] == "text":
                parts.append(f"<p>{esc(b['text'])}</p>")
            elif b["type"] == "table":
                parts.append(_table_html(b, max_digits))
            elif b["type"] == "certificate":
                parts.append(_certificate_html(b))
    return _PAGE.format(
        title=esc(title),
        style=_STYLE,
        summary=_verdict_summary(sections),
        body="\n".join(parts),
        json=esc(json_name),
    )
