"""Lyapunov spectra of Maps: QR method with warm-up and T_ON, error bars, FTLEs, Kaplan–Yorke
dimension (Vogt, dissertation, Ch. 1–2, 4); differentiable for gradient flossing (Engelken 2023)."""

from neurodyn.lyapunov._clv import CLVResult, covariant_lyapunov_vectors
from neurodyn.lyapunov._qr import QR_METHODS, positive_qr, qr
from neurodyn.lyapunov._spectrum import LyapunovResult, kaplan_yorke_dimension, lyapunov_spectrum

__all__ = [
    "QR_METHODS",
    "CLVResult",
    "LyapunovResult",
    "covariant_lyapunov_vectors",
    "kaplan_yorke_dimension",
    "lyapunov_spectrum",
    "positive_qr",
    "qr",
]
