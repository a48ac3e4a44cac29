"""Lyapunov-guided analysis of trained RNNs (Vogt, dissertation, Ch. 3–4).

Embedding (Ch. 3): :class:`AeLLE` (autoencoder of Lyapunov spectra with an accuracy head,
eq. 3.5–3.6, and PCA of its latent space), the median classifiers :class:`MedianClassifier`
(mean LE, max LE, PC1 of raw spectra; App. B) and :class:`MedianCellClassifier` (2^d median
cells, Table 3.3), :func:`best_f1_boundary` (the best-F1 split of Table 3.2),
:func:`compare_classifiers` (Tables B2–B4) and :func:`spectrum_features`; :class:`PredNet`
(the small regressor of the final loss from a spectrum or from :func:`eigenvalue_features`,
Sec. 3.1–3.2).

Sensitivity (Ch. 4): :func:`ftle_gradient` (loss gradients in the Q/R basis of the FTLE
algorithm, eq. 4.11–4.14 corrected), :func:`gradient_alignment` (eq. 4.15 with a random-vector
baseline), :func:`recurrent_weight_gradient` (ΔV_t, the per-step gradient of the recurrent
matrix of a tanh RNN, its SVD, eq. 4.15 and the participation ratio; §4.3.1, App. A–C) and
:func:`pixel_flipping` (Algorithm 3, Table 4.1).
"""

from neurodyn.aelle._boundary import best_f1_boundary
from neurodyn.aelle._classifiers import (
    MedianCellClassifier,
    MedianClassifier,
    compare_classifiers,
    spectrum_features,
)
from neurodyn.aelle._embedding import AeLLE
from neurodyn.aelle._gradient_tensor import (
    WeightGradient,
    mean_log_r,
    participation_ratio,
    q_index_sets,
    recurrent_weight_gradient,
    step_weight_gradients,
)
from neurodyn.aelle._prednet import PredNet, eigenvalue_features
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
    "AeLLE",
    "AlignmentResult",
    "FTLEGradient",
    "MedianCellClassifier",
    "MedianClassifier",
    "PixelFlippingResult",
    "PredNet",
    "WeightGradient",
    "best_f1_boundary",
    "compare_classifiers",
    "eigenvalue_features",
    "expected_abs_cosine",
    "flip_pixels",
    "ftle_gradient",
    "gradient_alignment",
    "mean_log_r",
    "participation_ratio",
    "pixel_flipping",
    "q_index_sets",
    "recurrent_weight_gradient",
    "spectrum_features",
    "step_weight_gradients",
]
