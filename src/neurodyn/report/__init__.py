"""Reports: sections of text, tables, certificates and figures, written as JSON + HTML + PNG.

:class:`Report` is the container (one page template, one stylesheet, strict JSON);
:func:`phase_plane` is the analysis of a 2-D map over a box that ``neurodyn demo`` and
``neurodyn paper-figures`` share, :func:`phase_plane_report` its report, and
:func:`lyapunov_report` the report of a Lyapunov spectrum (``neurodyn lyapunov --out``).
"""

from neurodyn.report._lyapunov import lyapunov_report
from neurodyn.report._phase_plane import PhasePlane, phase_plane, phase_plane_report
from neurodyn.report._report import Report, Section, render_html

__all__ = [
    "PhasePlane",
    "Report",
    "Section",
    "lyapunov_report",
    "phase_plane",
    "phase_plane_report",
    "render_html",
]
