"""The neutral bottom layer: batched spectra, ``Certificate``, JSON helpers, typed errors and the
progress protocol. Nothing here imports from the rest of neurodyn, so every subpackage may use it.
The public names are re-exported where users look for them (``neurodyn.stability`` for spectra
and certificates, ``neurodyn.errors``)."""

from neurodyn._core._box import Box
from neurodyn._core._certificate import CERTIFICATE_KINDS, Certificate, CertificateReport
from neurodyn._core._errors import (
    DivergenceError,
    InputError,
    LoadError,
    NeurodynError,
    OutputExistsError,
    OutputPathError,
)
from neurodyn._core._json import dump_json, from_json_float, json_float, to_jsonable
from neurodyn._core._progress import Progress, bar_columns, notify, rich_progress
from neurodyn._core._provenance import provenance
from neurodyn._core._serial import (
    RESULT_TYPES,
    load_result,
    register_result,
    tensor_from_json,
    tensor_to_json,
)
from neurodyn._core._spectra import eigvals, norm2, singular_values, spectral_radius

__all__ = [
    "CERTIFICATE_KINDS",
    "RESULT_TYPES",
    "Box",
    "Certificate",
    "CertificateReport",
    "DivergenceError",
    "InputError",
    "LoadError",
    "NeurodynError",
    "OutputExistsError",
    "OutputPathError",
    "Progress",
    "bar_columns",
    "dump_json",
    "eigvals",
    "from_json_float",
    "json_float",
    "load_result",
    "norm2",
    "notify",
    "provenance",
    "register_result",
    "rich_progress",
    "singular_values",
    "spectral_radius",
    "tensor_from_json",
    "tensor_to_json",
    "to_jsonable",
]
