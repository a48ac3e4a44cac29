"""Lyapunov-guided analysis of trained RNNs (Vogt, dissertation, Ch. 3–4).

Sensitivity (Ch. 4): :func:`ftle_gradient` (loss gradients in the Q/R basis of the FTLE
algorithm, eq. 4.11–4.14 corrected), :func:`gradient_alignment` (eq. 4.15 with a random-vector
baseline) and :func:`pixel_flipping` (Algorithm 3, Table 4.1).
"""

from neurodyn.aelle._sensitivity import (
    AlignmentResult,
    FTLEGradient,
    PixelFlippingResult,
    expected_abs_cosine,
    flip_pixels,
    ftle_gradient,
    gradient_alignment,
    pixel_flipping,
)

__all__ = [
    "AlignmentResult",
    "FTLEGradient",
    "PixelFlippingResult",
    "expected_abs_cosine",
    "flip_pixels",
    "ftle_gradient",
    "gradient_alignment",
    "pixel_flipping",
]
