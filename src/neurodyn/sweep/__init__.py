"""Sweeps: many training runs (a grid or a random sample of configurations × seeds), their
spectra during training, and a store that survives crashes.

* :func:`run`: run every job of a sweep config that the store does not hold yet, on a local
  process pool (default), in this process, or on Ray (``neurodyn[ray]``); a failing job is a
  recorded failure, never a stop; Ctrl-C loses nothing that finished.
* :func:`read`: the store as a pandas DataFrame, spectra resampled to a common length.
* :func:`train_job`: the default job (``neurodyn.train.run`` + ``lyapunov_spectrum`` at chosen
  fractions of training); any ``"module:function"`` mapping a config dict to row dicts works.
* :func:`expand`, :func:`config_hash`, :func:`load_config`: configs → jobs → stable keys.

Example:
    >>> import tempfile
    >>> from neurodyn import sweep
    >>> cfg = {"job": "neurodyn.sweep:echo_job", "grid": {"a": [1, 2]}, "seeds": [0, 1]}
    >>> out = tempfile.mkdtemp()
    >>> sweep.run(cfg, out, backend="sequential", progress=False).ok
    4
    >>> sweep.run(cfg, out, backend="sequential", progress=False).skipped
    4
    >>> sorted(sweep.read(out)["a"])
    [1, 1, 2, 2]
"""

from neurodyn.sweep._config import DEFAULT_JOB, canonical_json, config_hash, expand, load_config
from neurodyn.sweep._engine import BACKENDS, SweepSummary, run
from neurodyn.sweep._jobs import record_epochs, train_job
from neurodyn.sweep._store import read
from neurodyn.sweep._worker import CORE_COLUMNS, TIMING_COLUMNS


def echo_job(config: dict) -> list[dict]:
    """A job that trains nothing: one row ``{"value": <the config's numbers summed>}`` (for
    trying the machinery and the docs' examples)."""
    nums = [v for k, v in config.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return [{"value": float(sum(nums))}]


__all__ = [
    "BACKENDS",
    "CORE_COLUMNS",
    "DEFAULT_JOB",
    "TIMING_COLUMNS",
    "SweepSummary",
    "canonical_json",
    "config_hash",
    "echo_job",
    "expand",
    "load_config",
    "read",
    "record_epochs",
    "run",
    "train_job",
]
