"""Sweep configurations: a file or a dict → one job config per (grid point, seed), each keyed
by a stable hash.

A sweep config is a mapping with

* ``seeds``: a list of ints (each job gets one as ``config["seed"]``; default ``[0]``);
* ``grid``: parameter → list of values; the jobs are the Cartesian product of the lists. A
  list of such mappings is the union of their products, in order (scikit-learn's
  ``ParameterGrid`` convention): each model its own hyper-parameters in one sweep,
  ``[{model: [lstm], lr: [0.003, 0.01]}, {model: [lem], model_options: [{dt: 0.5}, {dt: 1}]}]``;
* ``sample`` (optional): draw this many configurations at random instead of the whole product
  (random search, Bergstra & Bengio 2012): a list value is a uniform choice, ``{"uniform":
  [lo, hi]}`` / ``{"loguniform": [lo, hi]}`` / ``{"int": [lo, hi]}`` (inclusive) a draw;
  ``sample_seed`` (default 0) seeds the draw, so the same file gives the same jobs;
* ``job`` (optional): the job function as ``"module:function"`` (default
  ``"neurodyn.sweep:train_job"``);
* every other key: a fixed parameter shared by all jobs (``task``, ``model``, ``epochs``, ...),
  which a grid entry of the same name overrides.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neurodyn._core import InputError

__all__ = ["DEFAULT_JOB", "canonical_json", "config_hash", "expand", "load_config"]

#: the job function a config without ``job`` runs
DEFAULT_JOB = "neurodyn.sweep:train_job"
#: keys that describe the sweep rather than one job
SWEEP_KEYS = ("seeds", "grid", "sample", "sample_seed", "job")
_DRAWS = ("uniform", "loguniform", "int")


def load_config(source: str | Path | Mapping) -> dict:
    """A sweep config from a YAML (``.yaml``/``.yml``) or TOML (``.toml``) file, or a dict.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: an unknown suffix, or a file that does not hold a mapping.
    """
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"sweep config {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise InputError(
                f"sweep config {str(path)!r} is not valid YAML: {' '.join(str(err).split())}"
            ) from None
    elif suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"sweep config {str(path)!r} is not valid TOML: {err}") from None
    else:
        raise ValueError(f"sweep config {str(path)!r}: use a .yaml, .yml or .toml file.")
    if not isinstance(data, Mapping):
        raise InputError(f"sweep config {str(path)!r} must hold a mapping (key: value lines).")
    return dict(data)


def _normalise(value: Any, where: str) -> Any:
    """JSON-able value with one spelling per number: numpy scalars → Python, integral floats →
    int (``1.0`` and ``1`` are the same configuration), tuples → lists, keys → str."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"config value {where} = {value} is not finite; use a finite number.")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _normalise(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_normalise(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise ValueError(
        f"config value {where} = {value!r} ({type(value).__name__}) is not JSON-able; use "
        "numbers, strings, booleans, lists and mappings."
    )


def canonical_json(config: Mapping) -> str:
    """The one text of a configuration: normalised values (:func:`_normalise`), sorted keys,
    no spaces. Floats are written by Python's shortest round-trip ``repr``, so ``1e-3`` and
    ``0.001`` are the same text."""
    return json.dumps(
        _normalise(dict(config), "config"), sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def config_hash(config: Mapping, job: str = DEFAULT_JOB) -> str:
    """``sha256(canonical_json({"config": config, "job": job}))``, first 16 hex digits.

    The seed is part of ``config``; the job function's dotted path is part of the hash, so the
    same parameters run by another job function are another job. 16 hex digits (64 bits) make
    a collision among a million jobs about 3e-8 likely.
    """
    text = canonical_json({"config": dict(config), "job": str(job)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _draw(name: str, spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, list | tuple):
        return spec[int(rng.integers(len(spec)))]
    if isinstance(spec, Mapping) and len(spec) == 1 and next(iter(spec)) in _DRAWS:
        kind, bounds = next(iter(spec.items()))
        lo, hi = (float(b) for b in bounds)
        if not lo < hi or (kind == "loguniform" and lo <= 0):
            raise ValueError(f"sample: {name}: {kind} needs 0 < lo < hi (log) or lo < hi.")
        if kind == "uniform":
            return float(rng.uniform(lo, hi))
        if kind == "loguniform":
            return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        return int(rng.integers(int(lo), int(hi) + 1))
    raise ValueError(
        f"grid entry {name!r} must be a list of values (or, with sample:, "
        f"{{uniform|loguniform|int: [lo, hi]}}), got {spec!r}."
    )


def expand(config: Mapping) -> tuple[str, list[dict]]:
    """The job function path and the job configs of a sweep config (module docstring).

    Returns:
        ``(job, configs)``: ``configs`` in a fixed order (grid points in the order of the grid's
        keys and lists, each with every seed), each a dict of the fixed parameters, the grid
        point and ``seed``. Duplicates (same canonical JSON) are kept once.

    Raises:
        ValueError: a missing or empty ``seeds`` / grid list, a non-integer seed, a malformed
            ``job`` or ``sample``.
    """
    config = dict(config)
    job = config.get("job", DEFAULT_JOB)
    if not isinstance(job, str) or job.count(":") != 1:
        raise ValueError(f"job must be 'module:function', got {job!r}.")
    seeds = config.get("seeds", [0])
    if isinstance(seeds, int | str) or not seeds:
        raise ValueError(f"seeds must be a non-empty list of integers, got {seeds!r}.")
    if any(isinstance(s, bool) or not float(s).is_integer() for s in seeds):
        raise ValueError(f"seeds must be integers, got {seeds!r}.")
    grid = config.get("grid") or {}
    grids = list(grid) if isinstance(grid, list | tuple) else [grid]
    if not grids or not all(isinstance(g, Mapping) for g in grids):
        raise ValueError(
            f"grid must map parameter -> list of values (or be a non-empty list of such maps), "
            f"got {grid!r}."
        )
    if "seed" in config or any("seed" in g for g in grids):
        raise ValueError("give seeds as 'seeds: [...]' (a list), not 'seed'.")
    fixed = {k: v for k, v in config.items() if k not in SWEEP_KEYS}
    if config.get("sample") is None:
        points = []
        for g in grids:
            for name in g:
                if not isinstance(g[name], list | tuple) or not g[name]:
                    raise ValueError(f"grid entry {name!r} must be a non-empty list of values.")
            names = list(g)
            points += [dict(zip(names, v, strict=True)) for v in itertools.product(*g.values())]
    else:
        n = config["sample"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"sample must be a positive integer (configurations), got {n!r}.")
        if len(grids) != 1:
            raise ValueError(
                "sample: draws from one grid (a map of parameter -> values), not a list of grids; "
                "run one sweep per grid, or drop sample: to run the union of their products."
            )
        rng = np.random.default_rng(int(config.get("sample_seed", 0)))
        points = [{k: _draw(k, v, rng) for k, v in grids[0].items()} for _ in range(n)]
    configs, seen = [], set()
    for point in points:
        for seed in seeds:
            cfg = _normalise({**fixed, **point, "seed": int(seed)}, "config")
            key = canonical_json(cfg)
            if key not in seen:
                seen.add(key)
                configs.append(cfg)
    return job, configs
