"""Files that are either whole or absent (atomic_write), and the one rule for every output
path neurodyn writes: new paths freely, its own output of the same kind again, nothing else."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "FILE_KINDS",
    "FOLDER_KINDS",
    "MARKER",
    "atomic_write",
    "claim_file",
    "claim_folder",
    "file_kind",
    "folder_kind",
    "mark_folder",
    "report_files",
    "write_json_file",
]


def atomic_write(path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path``, flush it to disk, then
    ``os.replace`` it onto ``path`` (atomic on POSIX and Windows): a crash or Ctrl-C leaves the
    old file or the new one, never half of one.

    The temporary name starts with a dot (``.name.<pid>.tmp``) so readers that skip hidden files
    (``pyarrow.dataset``) never see it; the parent folder is created if missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------------- output paths
#
# One rule for every path neurodyn writes (docs/cli.md, "Output paths"), checked before any work
# starts: a new path is written; an existing one only if neurodyn wrote it for the same kind of
# output; anything else is refused with OutputExistsError, and left as it was.
#
# A folder's kind is read from its marker file ``.neurodyn.json`` ({"neurodyn_output": kind,
# "version": …, "report_files": [...]}); folders written before the marker existed are
# recognised by their own files (``_sweep.json``; ``history.json`` of a training run; a report
# JSON with ``title``/``sections``/``figures`` next to ``index.html``). A JSON file's kind is its
# top-level ``"neurodyn_output"`` entry (every report's JSON has ``"neurodyn_output": "report"``),
# or for older files the same report keys.

#: the marker file of a folder neurodyn writes (hidden, so pyarrow and ``ls`` skip it)
MARKER = ".neurodyn.json"
#: what each kind of output folder is, for messages
FOLDER_KINDS = {
    "report": "a neurodyn report folder (demo, analyze, lyapunov, robustness or paper-figures)",
    "train-run": "a neurodyn train run folder (checkpoints and history)",
    "sweep-store": "a neurodyn sweep store",
}
#: what each kind of JSON file is, for messages
FILE_KINDS = {
    "report": "a neurodyn report's JSON",
    "train-history": "the history.json of a neurodyn train run",
    "sweep-manifest": "the manifest of a neurodyn sweep store",
    "marker": "the marker file of a neurodyn output folder",
}
_WANTED = {"report": "a report", "train-run": "a training run", "sweep-store": "a sweep store"}
#: report JSON names of earlier versions (before the marker file)
_LEGACY_REPORT_JSON = ("report.json", "lyapunov.json", "paper_figures.json")
_REPORT_SUFFIXES = (".png", ".json", ".html")
_MAX_JSON_BYTES = 256 * 2**20  # a larger file is not read to find out whose it is


def _label(what: str, path: Path) -> str:
    return f"{what} {path}" if what.startswith("-") else f"{what}={path}"


def _read_json(path: Path):
    """The parsed JSON in ``path``, or None (missing, a folder, too large, not JSON)."""
    import json

    try:
        if not path.is_file() or path.stat().st_size > _MAX_JSON_BYTES:
            return None
        return json.loads(path.read_bytes())
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def _json_kind(body) -> str | None:
    if not isinstance(body, dict):
        return None
    mark = body.get("neurodyn_output")
    mark = mark if isinstance(mark, str) else None  # a user's JSON may hold anything there
    if mark == "report" and isinstance(body.get("sections"), list):
        return "report"
    if mark in FOLDER_KINDS:  # a folder's marker file (it has no sections)
        return "marker"
    if mark in FILE_KINDS:
        return mark
    if (
        isinstance(body.get("title"), str)
        and isinstance(body.get("sections"), list)
        and (isinstance(body.get("figures"), list))
    ):
        return "report"
    if isinstance(body.get("history"), list) and isinstance(body.get("provenance"), dict):
        return "train-history"
    if isinstance(body.get("jobs"), dict) and "format" in body:
        return "sweep-manifest"
    return None


def file_kind(path) -> str | None:
    """Which neurodyn JSON ``path`` is (a key of :data:`FILE_KINDS`), or None."""
    return _json_kind(_read_json(Path(path)))


def folder_kind(path) -> str | None:
    """Which neurodyn output folder ``path`` is (a key of :data:`FOLDER_KINDS`), or None (not a
    folder, or not one neurodyn wrote)."""
    path = Path(path)
    if not path.is_dir():
        return None
    mark = _read_json(path / MARKER)
    if isinstance(mark, dict) and str(mark.get("neurodyn_output")) in FOLDER_KINDS:
        return mark["neurodyn_output"]
    if file_kind(path / "_sweep.json") == "sweep-manifest":
        return "sweep-store"
    if file_kind(path / "history.json") == "train-history":
        return "train-run"
    if (path / "index.html").is_file() and any(
        file_kind(path / name) == "report" for name in _LEGACY_REPORT_JSON
    ):
        return "report"
    return None


def _check_parent(path: Path, label: str) -> None:
    """The nearest existing folder above ``path`` must be a folder we may write in."""
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise _exists(f"{label}: {parent} is a file, not a folder; choose another path.")
    if not os.access(parent, os.W_OK | os.X_OK):
        from neurodyn._core._errors import OutputPathError

        raise OutputPathError(f"{label}: no permission to write in {parent}; choose another path.")


def _exists(message: str):
    from neurodyn._core._errors import OutputExistsError

    return OutputExistsError(message)


def _sample(path: Path) -> str:
    names = sorted(p.name for p in path.iterdir())
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return f"{len(names)} entr{'y' if len(names) == 1 else 'ies'}: {shown}"


def claim_folder(path, kind: str, *, what: str = "out") -> Path:
    """Check, before any work, that ``kind`` of output may be written into the folder ``path``.

    Allowed: a path that does not exist (it is created when written), an empty folder, and a
    folder that neurodyn wrote for the same ``kind`` (:func:`folder_kind`). Nothing is created
    or changed here.

    Args:
        path: the folder.
        kind: ``"report"``, ``"train-run"`` or ``"sweep-store"`` (:data:`FOLDER_KINDS`).
        what: how the caller names the path in messages (``"--out"``, ``"fit: out"``).

    Returns:
        ``Path(path)``.

    Raises:
        OutputExistsError: a file at ``path`` or above it, a non-empty folder neurodyn did not
            write, or another kind of neurodyn output; the message says which and what to do.
        OutputPathError: no permission to write there.
    """
    if kind not in FOLDER_KINDS:
        raise ValueError(
            f"claim_folder: kind must be one of {', '.join(FOLDER_KINDS)}, got {kind!r}."
        )
    path = Path(path)
    label = _label(what, path)
    if path.is_dir():
        if not any(path.iterdir()):
            return path
        found = folder_kind(path)
        if found == kind:
            return path
        if found is not None:
            raise _exists(
                f"{label} holds {FOLDER_KINDS[found]}; {_WANTED[kind]} is never written into it "
                "(it would replace or mix with its files): choose a new or empty folder."
            )
        raise _exists(
            f"{label} is a folder neurodyn did not write ({_sample(path)}); neurodyn never "
            "writes into a folder of yours: choose a new or empty folder."
        )
    if path.exists() or path.is_symlink():
        raise _exists(
            f"{label} is an existing file, not a folder; {_WANTED[kind]} is a folder: choose a "
            "new folder name (the file is left as it is)."
        )
    _check_parent(path, label)
    return path


def claim_file(path, kind: str = "report", *, what: str = "--json") -> Path:
    """Check, before any work, that a JSON file of ``kind`` may be written to ``path``.

    Allowed: a path that does not exist, an empty file (e.g. from ``mktemp``), a device or pipe
    (``/dev/stdout``: written to, nothing is replaced), and a JSON file neurodyn wrote for the
    same ``kind`` (:func:`file_kind`) on its own — not one that is part of a neurodyn output
    folder (a training run's ``report.json``).

    Raises:
        OutputExistsError: a folder at ``path``, a file neurodyn did not write (or wrote for
            another purpose, or as part of an output folder), a file above ``path``.
        OutputPathError: no permission to write there.
    """
    path = Path(path)
    label = _label(what, path)
    if path.is_dir():
        raise _exists(f"{label} is a folder; it takes a file name (e.g. {path / 'report.json'}).")
    if path.exists():
        if not path.is_file() or path.stat().st_size == 0:
            return path
        found = file_kind(path)
        folder = path.absolute().parent
        owner = folder_kind(folder)
        inside = owner is not None and path.name in report_files(folder)
        if inside:
            raise _exists(
                f"{label} is part of {FOLDER_KINDS[owner]} ({folder}); choose a path outside "
                "it (a report for that folder is written whole with --out)."
            )
        if found == kind:
            return path
        if found is not None:
            raise _exists(f"{label} holds {FILE_KINDS[found]}, not {FILE_KINDS[kind]}; choose "
                          "a new path.")  # fmt: skip
        raise _exists(
            f"{label} already exists and was not written by neurodyn; choose a new path or "
            "delete it."
        )
    if path.is_symlink():
        raise _exists(f"{label} is a broken symbolic link; choose another path.")
    _check_parent(path, label)
    return path


def mark_folder(path, kind: str, *, report_files: list[str] | None = None) -> None:
    """Write (atomically) the marker that says ``path`` holds ``kind`` of output; with
    ``report_files``, also the names of the report written there last (replacing the earlier
    list), which the next report removes where it does not write them again."""
    import json

    import neurodyn

    path = Path(path)
    old = _read_json(path / MARKER)
    old = old if isinstance(old, dict) and old.get("neurodyn_output") == kind else {}
    body = {"neurodyn_output": kind, "version": neurodyn.__version__}
    files = old.get("report_files") if report_files is None else list(report_files)
    if files is not None:
        body["report_files"] = files
    text = json.dumps(body, indent=2) + "\n"
    atomic_write(path / MARKER, lambda tmp: tmp.write_text(text))


def report_files(path) -> set[str]:
    """The files of the report neurodyn wrote last into the folder ``path`` (from its marker,
    or for an older folder from its report JSON's ``figures``): plain ``.png``/``.json``/``.html``
    names only, so a damaged marker can never name a file elsewhere."""
    path = Path(path)
    mark = _read_json(path / MARKER)
    names: list = []
    if isinstance(mark, dict) and isinstance(mark.get("report_files"), list):
        names = mark["report_files"]
    else:
        for name in _LEGACY_REPORT_JSON:
            body = _read_json(path / name)
            if _json_kind(body) == "report":
                names += [name, "index.html", *body["figures"]]
    return {
        n
        for n in names
        if isinstance(n, str) and Path(n).name == n and not n.startswith(".")
        and n.endswith(_REPORT_SUFFIXES)
    }  # fmt: skip


def write_json_file(text: str, path) -> Path:
    """``text`` into ``path``: atomically for a regular file (the old file or the new one, never
    half), directly for a device or pipe (``/dev/stdout``); the parent folder is created."""
    path = Path(path)
    if path.exists() and not path.is_file():
        with open(path, "w") as fh:
            fh.write(text)
        return path
    return atomic_write(path, lambda tmp: tmp.write_text(text))
