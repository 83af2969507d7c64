"""Reading and writing at the edges of the pipeline.

Analysis functions elsewhere in the package take and return DataFrames; this module
is where they meet files. Everything written here is deterministic: fixed column
order, stable sorting, ``\\n`` line ends, JSON with sorted keys, no timestamps and no
absolute paths.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from compendium.core import display, paths

# ----------------------------------------------------------------- atomic writes


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically (a reader never sees half a file)."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path = paths.for_writing(path)  # a notebook run by hand writes to its scratch folder
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


SIGNIFICANT_DIGITS = 8
"""Working precision of every number written under ``reports/`` (CSV and JSON): far
finer than any reported rounding (at most four significant digits), far coarser than
the last-digit noise of numerical libraries across CPUs (about 1e-13 relative), so the
same inputs give the same bytes on any machine."""


# a minus sign before a number that rounds to zero: '-0.00', '-.00', '-0'
_NEGATIVE_ZERO = re.compile(r"(?<![\w.])[-\u2212](?=(?:0(?:\.0+)?|\.0+)(?![\d.]))")


def unsigned_zero(text: str) -> str:
    """``text`` without the sign of a number that prints as zero ('-0.00' -> '0.00',
    '[-.00, .00]' -> '[.00, .00]'): a value a rounding error below zero is printed as
    zero, as it would be a rounding error above it."""
    return _NEGATIVE_ZERO.sub("", text)


def fixed(value: float) -> float:
    """``value`` at the working precision (:data:`SIGNIFICANT_DIGITS` significant digits)."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else value


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and missing become null, numpy scalars become Python ones, floats
    are held at the working precision."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        return fixed(value) if math.isfinite(value) else None
    return value


def dumps_json(data: Any) -> str:
    return json.dumps(_clean(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    write_text(path, dumps_json(data))


def read_json(path: Path) -> Any:
    return json.loads(paths.for_reading(path).read_text(encoding="utf-8"))


# ----------------------------------------------------------------- interim data


def interim_path(name: str) -> Path:
    return paths.interim_dir() / f"{name}.parquet"


def write_interim(frame: pd.DataFrame, name: str) -> Path:
    """Write an intermediate table as Parquet (deterministic bytes for equal data)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = paths.for_writing(interim_path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", write_statistics=False)
    os.replace(tmp, path)
    return path


def read_interim(name: str) -> pd.DataFrame:
    path = paths.for_reading(interim_path(name))
    if not path.is_file():
        raise FileNotFoundError(
            f"{paths.relative(path)} is missing: run the pipeline from its first stage (make reproduce)"
        )
    return pd.read_parquet(path)


# ----------------------------------------------------------------- tables


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""
_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would not run as a formula.

    The OWASP rule for CSV injection (https://owasp.org/www-community/attacks/CSV_Injection):
    a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a single quote in front of it, so that Excel, LibreOffice and Google Sheets show
    it as text. Text that is a plain number (``-0.5``) is left as it is, and so is every
    non-text value."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER_TEXT.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`neutralise_cell` applied to its text columns and column names."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise_cell, na_action="ignore")
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(value: Any) -> str:
    """Text from the data (a label, a category) as pandoc Markdown that shows exactly
    these characters: every ASCII punctuation mark is backslash-escaped (pandoc's
    ``all_symbols_escapable``), so ``@`` is no citation, ``#`` no heading, ``$`` no
    maths, ``*``/``_`` no emphasis, ``<`` no HTML and ``|`` no table cell, in HTML,
    DOCX and Typst alike; line breaks become spaces."""
    return _MARKUP.sub(r"\\\1", " ".join(str(value).split()))


def write_table(frame: pd.DataFrame, stem: str, markdown: str, folder: Path | None = None) -> tuple[Path, Path]:
    """Write a table as CSV at the working precision (:data:`SIGNIFICANT_DIGITS`) plus
    formatted Markdown under ``reports/tables``. Text cells are neutralised against
    spreadsheet formulas (:func:`neutralise_cell`)."""
    folder = folder or paths.tables_dir()
    csv_path, md_path = folder / f"{stem}.csv", folder / f"{stem}.md"
    write_text(
        csv_path,
        neutralise_frame(frame).to_csv(index=False, lineterminator="\n", float_format=f"%.{SIGNIFICANT_DIGITS}g"),
    )
    write_text(md_path, markdown)
    display.show_markdown(markdown)  # inline in the stage's notebook, as the reader sees it
    return csv_path, md_path


# ----------------------------------------------------------------- results


def results_fragment_path(stage: str) -> Path:
    return paths.interim_dir() / "results" / f"{stage}.json"


def write_results(stage: str, values: dict[str, Any]) -> Path:
    """Record the numbers a stage contributes to ``reports/results.json``.

    ``values`` maps stable dotted keys (``table2.leadership_role.p_value``) to numbers
    or strings.
    """
    bad = [k for k in values if not isinstance(k, str) or not k or k.startswith(".")]
    if bad:
        raise ValueError(f"results keys must be non-empty dotted strings, found {bad!r}")
    path = results_fragment_path(stage)
    write_json(path, values)
    return path


def collect_results(fragments: list[Path], out: Path) -> dict:
    """Merge the stages' result fragments into one flat, sorted mapping."""
    merged: dict[str, Any] = {}
    for frag in sorted(fragments):
        for key, value in read_json(frag).items():
            if key in merged and merged[key] != value:
                raise ValueError(f"results key {key!r} is written by two stages with different values")
            merged[key] = value
    write_json(out, merged)
    return merged


# ----------------------------------------------------------------- private files and small helpers


def private_path(name: str, ext: str) -> Path:
    return paths.private_dir() / f"{name}.{ext}"


def write_private_csv(frame: pd.DataFrame, name: str) -> Path:
    """Write personal data (such as the de-identification log) under the git-ignored
    ``data/private/``; nothing there is ever copied into ``reports/``."""
    path = private_path(name, "csv")
    write_text(path, frame.to_csv(index=False, lineterminator="\n"))
    return path


def read_private_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(paths.for_reading(private_path(name, "csv")), dtype=str, keep_default_na=False)


def write_private_json(data: Any, name: str) -> Path:
    path = private_path(name, "json")
    write_json(path, data)
    return path


def read_private_json(name: str) -> Any:
    return read_json(private_path(name, "json"))


def read_csv(path: str | Path) -> pd.DataFrame:
    """A CSV named by a parameter (resolved against the project root)."""
    return pd.read_csv(paths.resolve(path), dtype=str, keep_default_na=False)
