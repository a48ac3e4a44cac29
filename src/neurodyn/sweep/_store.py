"""The sweep store: one small Parquet file per finished job, written atomically.

Layout::

    DIR/_sweep.json                          the sweep (config, job path, every job's hash)
    DIR/config_hash=<h>/part-0.parquet       the rows of job <h> (ok or failed)

A job's file is written to ``.part-0.parquet.<pid>.tmp`` beside it and moved into place with
``os.replace`` (atomic on POSIX and Windows), so a crash leaves either the whole file or none;
pyarrow skips names that start with ``.`` or ``_``, so the temporary file and ``_sweep.json`` are
never read as data. ``config_hash`` is also a (dictionary-encoded) column in every file, so
``pyarrow.dataset.dataset(DIR)``, ``pyarrow.parquet.read_table(DIR)`` and
``pandas.read_parquet(DIR)`` all see it (do not pass ``partitioning="hive"`` to
``pyarrow.dataset.dataset``: its plain-string partition field clashes with the column).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neurodyn._core._files import atomic_write

__all__ = ["job_file", "read", "statuses", "unify", "write_job", "write_manifest"]

MANIFEST = "_sweep.json"
_CORE_TYPES = {
    "status": "string",
    "job": "string",
    "config": "string",
    "seed": "int64",
    "row": "int64",
    "error": "string",
    "traceback": "string",
    "seconds": "float64",
    "finished_at": "string",
    "host": "string",
    "pid": "int64",
    "node": "string",
}


def job_file(out: Path, h: str) -> Path:
    return Path(out) / f"config_hash={h}" / "part-0.parquet"


def _atomic_write_table(table, path: Path) -> None:
    import pyarrow.parquet as pq

    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def _table(rows: Sequence[dict]):
    import pyarrow as pa

    table = pa.Table.from_pylist(list(rows))
    for name, typ in _CORE_TYPES.items():
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table.column(name).cast(getattr(pa, typ)()))
    i = table.column_names.index("config_hash")
    col = table.column("config_hash").cast(pa.string()).dictionary_encode()
    return table.set_column(i, "config_hash", col)


def write_job(out: Path, h: str, rows: Sequence[dict]) -> Path:
    """Write job ``h``'s rows to its own file, atomically (module docstring)."""
    path = job_file(out, h)
    _atomic_write_table(_table(rows), path)
    return path


def write_manifest(out: Path, body: dict) -> None:
    """``DIR/_sweep.json`` (atomically), the sweep's description for people and reruns."""
    text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    atomic_write(Path(out) / MANIFEST, lambda tmp: tmp.write_text(text))


def _files(out: Path) -> list[Path]:
    return sorted(Path(out).glob("config_hash=*/part-0.parquet"))


def _dataset(out: Path):
    """The store as one pyarrow dataset whose schema is the union of every file's (plain
    discovery takes the first file's schema and would drop columns only later files have)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    files = [str(f) for f in _files(out)]
    if not files:
        return None
    schemas = [pq.read_schema(f) for f in files]
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    return ds.dataset(files, schema=schema, format="parquet")


def statuses(out: Path) -> dict[str, str]:
    """config hash → ``"ok"`` / ``"failed"`` of every job with a file in the store."""
    import pyarrow.dataset as ds

    files = [str(f) for f in _files(out)]
    if not files:
        return {}
    table = ds.dataset(files, format="parquet").to_table(columns=["config_hash", "status"])
    result: dict[str, str] = {}
    for h, s in zip(
        table.column("config_hash").to_pylist(), table.column("status").to_pylist(), strict=True
    ):
        result[h] = "failed" if s == "failed" or result.get(h) == "failed" else s
    return result


def unify(out: Path) -> int:
    """Rewrite the files whose schema lacks columns others have (e.g. a failed job's, written
    before any job had finished), so plain ``pyarrow.dataset.dataset(DIR)`` — which takes the
    first file's schema — sees every column. Returns the number of files rewritten."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _files(out)
    if len(files) < 2:
        return 0
    schemas = [pq.read_schema(f) for f in files]
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    changed = 0
    for f, s in zip(files, schemas, strict=True):
        if s.equals(schema, check_metadata=False):
            continue
        table = pq.read_table(f)
        cols = [
            table.column(fld.name).cast(fld.type)
            if fld.name in table.column_names
            else pa.nulls(table.num_rows, fld.type)
            for fld in schema
        ]
        _atomic_write_table(pa.Table.from_arrays(cols, schema=schema), f)
        changed += 1
    return changed


def _resample(values, length: int) -> np.ndarray:
    """``values`` (n,) at ``length`` evenly spaced points of the normalised index i/(n−1)
    ∈ [0, 1], by linear interpolation (``np.interp``); n = 1 gives a constant."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return np.full(length, np.nan)
    if v.size == 1:
        return np.full(length, v[0])
    return np.interp(np.linspace(0.0, 1.0, length), np.linspace(0.0, 1.0, v.size), v)


def read(out, spectrum_length: int | None = 1024, *, config_columns: bool = True):
    """The store as a pandas DataFrame, one row per (job, checkpoint).

    Args:
        out: the sweep's directory.
        spectrum_length: every column of number lists (spectra of any size) is resampled to
            this length by :func:`_resample` — the exponent at relative position i/(L−1),
            linear between neighbours, so spectra of networks of different widths line up by
            rank fraction — and a column ``<name>_size`` keeps each original length. None keeps
            the lists as stored.
        config_columns: also spread the ``config`` JSON into one column per key (a key that is
            already a column is prefixed ``config.``).

    Raises:
        FileNotFoundError: ``out`` is not a directory.
        ValueError: ``spectrum_length`` < 2.
    """
    import pandas as pd
    import pyarrow as pa

    out = Path(out)
    if not out.is_dir():
        raise FileNotFoundError(f"sweep store {str(out)!r} is not a directory.")
    if spectrum_length is not None and int(spectrum_length) < 2:
        raise ValueError(f"spectrum_length must be ≥ 2 (or None), got {spectrum_length}.")
    dataset = _dataset(out)
    if dataset is None:
        return pd.DataFrame(columns=["config_hash", "status"])
    table = dataset.to_table()
    lists = [
        f.name
        for f in table.schema
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
        if pa.types.is_integer(f.type.value_type) or pa.types.is_floating(f.type.value_type)
    ]
    df = table.to_pandas()
    df["config_hash"] = df["config_hash"].astype(str)
    if spectrum_length is not None:
        for name in lists:
            col = df[name]
            df[f"{name}_size"] = [None if v is None else len(v) for v in col]
            df[name] = [None if v is None else _resample(v, int(spectrum_length)) for v in col]
    if config_columns and "config" in df:
        params = pd.json_normalize([json.loads(c) for c in df["config"]], max_level=0)
        params.index = df.index
        params = params.drop(columns=[c for c in params if c == "seed"])
        params.columns = [f"config.{c}" if c in df.columns else c for c in params.columns]
        df = pd.concat([df, params], axis=1)
    return df.sort_values(["config_hash", "row"], kind="stable").reset_index(drop=True)
