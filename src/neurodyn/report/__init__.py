"""Reports: sections of text, tables, certificates and figures, written as JSON + HTML + PNG.

:class:`Report` is the container (one page template, one stylesheet, strict JSON);
:func:`phase_plane` is the analysis of a 2-D map over a box that ``neurodyn demo`` and
``neurodyn paper-figures`` share, :func:`phase_plane_report` its report, and
:func:`lyapunov_report` the report of a Lyapunov spectrum (``neurodyn lyapunov --out``);
:func:`analyze` is a user's model to a report in one call (``neurodyn analyze``), with
:func:`provenance` in its JSON; :func:`train_report` is the report of a training run
(``neurodyn train``) and :func:`robustness_report` that of a robustness evaluation
(``neurodyn robustness``); :func:`fmt` rounds every number a person reads (at most
:func:`dtype_digits` significant digits of the model's weights).
"""

from neurodyn._core import provenance
from neurodyn.report._analyze import (
    FEEDFORWARD_SECTIONS,
    RECURRENT_SECTIONS,
    Analysis,
    analyze,
    default_box,
)
from neurodyn.report._format import dtype_digits, fmt, fmt_pm, fmt_vector
from neurodyn.report._lyapunov import add_lyapunov, lyapunov_report
from neurodyn.report._phase_plane import PhasePlane, phase_plane, phase_plane_report
from neurodyn.report._report import Report, Section, Summary, render_html
from neurodyn.report._robustness import robustness_report
from neurodyn.report._train import history_rows, train_report

__all__ = [
    "FEEDFORWARD_SECTIONS",
    "RECURRENT_SECTIONS",
    "Analysis",
    "PhasePlane",
    "Report",
    "Section",
    "Summary",
    "add_lyapunov",
    "analyze",
    "default_box",
    "dtype_digits",
    "fmt",
    "fmt_pm",
    "fmt_vector",
    "history_rows",
    "lyapunov_report",
    "phase_plane",
    "phase_plane_report",
    "provenance",
    "render_html",
    "robustness_report",
    "train_report",
]
