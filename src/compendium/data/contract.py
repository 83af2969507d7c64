"""The raw-data contract: reading and validating everything under ``data/raw/``.

This module is the only place that reads ``data/raw/``. It checks every rule of the
data contract (see ``docs/data-dictionary.md``), collects *every* violation in every
file, and raises one :class:`DataContractError` listing them all, each naming the
file, the row (with its line) or unit, the column or key, and the rule broken.

A learner whose consent is ``withdrawn`` is removed here, once: the returned
:class:`Study` holds no trace of them except the participant-flow counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compendium.core.config import Arms, YamlLimitError, get_limit, load_yaml, size_text
from compendium.data import sources as src

YES = frozenset({"yes", "true", "1", "y"})
NO = frozenset({"no", "false", "0", "n"})
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ITEM_PATTERN = {"cc": re.compile(r"^cc_(\d+)$"), "support": re.compile(r"^support_(\d+)$")}
CONSENT = ("given", "withdrawn")
WAVES = ("pre", "post")
AGE_RANGE = (16, 99)
LIKERT = (1, 5)

PARTICIPANT_COLUMNS = (
    "participant_id",
    "group",
    "gender",
    "ethnicity",
    "age",
    "previous_activism",
    "consent",
)
SURVEY_COLUMNS = ("participant_id", "wave", "participation", "leadership")
CODING_COLUMNS = ("source_id", "unit", "code")
DATASET_FILE = "dataset.yaml"


@dataclass(frozen=True)
class Violation:
    file: str
    where: str  # "row 4 (line 5)", "unit 3", "line 7", "header", "file"
    column: str  # column or key; "" when the rule concerns the whole file
    rule: str

    def __str__(self) -> str:
        col = f", column '{self.column}'" if self.column else ""
        return f"{self.file}, {self.where}{col}: {self.rule}"


class DataContractError(ValueError):
    """``data/raw/`` breaks the data contract. ``violations`` lists every problem."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = list(violations)
        files = sorted({v.file for v in self.violations})
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(
            f"the raw data break the data contract: {len(self.violations)} problem(s) in {', '.join(files)}\n{lines}"
        )


@dataclass
class Study:
    """Validated study data with withdrawn learners already removed."""

    participants: pd.DataFrame
    survey: pd.DataFrame
    cc_items: list[str]
    support_items: list[str]
    flow: dict
    sources: pd.DataFrame
    units: pd.DataFrame
    codebook: pd.DataFrame
    codings: pd.DataFrame
    coders: list[str] = field(default_factory=list)
    dataset: dict = field(default_factory=dict)  # dataset.yaml, when the folder has one
    # where the consensus coding comes from: "file" (coding/consensus.csv), "coder:<name>"
    # (a named coder stands in) or "majority" (derived from the coders' files)
    consensus: str = "file"
    arms: Arms = field(default_factory=Arms)  # the two arm labels, as resolved when the data were loaded
    # ids of learners who withdrew: kept only so the leak audit can look for them; written
    # to the git-ignored data/private/, never to data/interim/ or reports/
    withdrawn: list[str] = field(default_factory=list)


MAX_PER_COLUMN = 200  # violations kept for one column of one file, whatever the rule; the rest are counted
MAX_LISTED = 2000  # violations kept in all; the rest are counted


class _Collector:
    """Violations, bounded: at most :data:`MAX_PER_COLUMN` are kept for one column (or
    key) of one file; the rest are counted and reported as one line, so a file of a
    million bad rows gives a short message and takes little memory."""

    def __init__(self) -> None:
        self._items: list[Violation] = []
        self._kept: dict[tuple[str, str], int] = defaultdict(int)
        self._over: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, file: str, where: str, column: str, rule: str) -> None:
        key = (file, column)
        if len(self._items) >= MAX_LISTED:
            key = ("further files", "")
        if self._kept[key] >= MAX_PER_COLUMN or len(self._items) >= MAX_LISTED:
            self._over[key] += 1
            return
        self._kept[key] += 1
        self._items.append(Violation(file, where, column, rule))

    @property
    def items(self) -> list[Violation]:
        more = [
            Violation(f, "more rows", c, f"{n} further problem(s) in this column are not listed")
            if f != "further files"
            else Violation(f"{MAX_LISTED} problems listed", "and more", "", f"{n} further problem(s) are not listed")
            for (f, c), n in self._over.items()
        ]
        return self._items + more


# --------------------------------------------------------------------------- CSV


@dataclass
class _Table:
    frame: pd.DataFrame  # every cell a stripped str; "" is missing
    lines: Sequence[int]  # file line of each data row

    def where(self, i: int) -> str:
        return f"row {i + 1} (line {self.lines[i]})"


def _escapes_raw(path: Path, label: str) -> bool:
    """True when ``path`` (a file ``label`` under data/raw/, e.g. ``sources/a.md``) is
    a link that leads outside the raw-data folder."""
    root = path
    for _ in Path(label).parts:
        root = root.parent
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return True
    return False


def _limit_for(label: str) -> tuple[str, int]:
    if label.endswith(".csv"):
        name = "MAX_CSV_BYTES"
    elif label.endswith((".yaml", ".yml")):
        name = "MAX_YAML_BYTES"
    else:
        name = "MAX_SOURCE_BYTES"
    return name, get_limit(name)


def _read_text(path: Path, label: str, out: _Collector) -> str | None:
    """A text file under data/raw/, refused (with a violation naming the rule) when it
    is a link leading outside data/raw/, larger than its limit, not UTF-8 or holds a
    NUL byte."""
    if _escapes_raw(path, label):
        out.add(label, "file", "", "is a link to a file outside data/raw/; copy the file into data/raw/ instead")
        return None
    name, max_bytes = _limit_for(label)
    try:
        size = path.stat().st_size
        if not path.is_file():
            out.add(label, "file", "", "is not a regular file")
            return None
        if size > max_bytes:
            out.add(
                label,
                "file",
                "",
                f"is {size_text(size)}, more than the limit of {size_text(max_bytes)} "
                f"(set COMPENDIUM_{name} to raise it)",
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        out.add(label, "file", "", f"cannot be read ({exc.strerror or exc})")
        return None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        out.add(
            label,
            f"line {line}",
            "",
            f"holds a NUL byte (byte {nul}); a text file may not (is it binary, or saved as UTF-16?)",
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        out.add(label, f"line {line}", "", f"not valid UTF-8 text (byte {exc.start})")
        return None
    del data
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_yaml(text: str, label: str, out: _Collector, *, strings: bool, by_line: bool = True):
    """(ok, data): YAML read with the limits of :func:`config.load_yaml`; a problem is
    recorded as a violation naming the line."""
    import yaml

    try:
        return True, load_yaml(text, label, strings=strings)
    except YamlLimitError as exc:
        out.add(label, "file", "", str(exc).removeprefix(f"{label}: "))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out.add(
            label,
            f"line {mark.line + 1}" if mark and by_line else "file",
            "",
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
            + (f" (line {mark.line + 1})" if mark and not by_line else ""),
        )
    return False, None


def _lines(text: str):
    """The lines of ``text`` (line ends kept), one at a time: no second copy of the file."""
    start, n = 0, len(text)
    while start < n:
        stop = text.find("\n", start)
        stop = n if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _read_csv(path: Path, label: str, out: _Collector) -> _Table | None:
    """A CSV as a table of stripped text cells. Memory stays a small multiple of the
    file: lines are read one at a time, cells are kept column by column, and repeated
    values share one string."""
    from array import array

    text = _read_text(path, label, out)
    if text is None:
        return None
    reader = csv.reader(_lines(text))
    try:
        header = next(reader)
    except StopIteration:
        out.add(label, "file", "", "the file is empty; a header row is required")
        return None
    except csv.Error as exc:
        out.add(label, "line 1", "", f"not readable as CSV: {exc}")
        return None
    header = [h.strip() for h in header]
    ok = True
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        if not name:
            out.add(label, "header", f"#{pos}", "a column has no name")
            ok = False
        elif name in seen:
            out.add(label, "header", name, f"the column appears twice (positions {seen[name]} and {pos})")
            ok = False
        else:
            seen[name] = pos
    width = len(header)
    columns: list[list[str]] = [[] for _ in header]
    shared: dict[str, str] = {}
    lines = array("q")
    n_rows = 0
    start = 2
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                start = reader.line_num + 1
                continue
            if len(row) != width:
                out.add(
                    label,
                    f"row {n_rows + 1} (line {start})",
                    "",
                    f"has {len(row)} fields where the header has {width}",
                )
                ok = False
            if ok:
                for k in range(width):
                    cell = row[k].strip() if k < len(row) else ""
                    columns[k].append(shared.setdefault(cell, cell) if len(cell) < 64 else cell)
                lines.append(start)
            n_rows += 1
            start = reader.line_num + 1
    except csv.Error as exc:
        out.add(label, f"line {reader.line_num}", "", f"not readable as CSV: {exc}")
        return None
    del text, shared
    if not ok:
        return None
    frame = pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(header, columns)})
    del columns
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    return _Table(frame, lines)


def read_header(path: Path) -> list[str]:
    """The column names of a contract CSV as the validator reads them (stripped; BOM
    and line ends tolerated), for descriptions of the data such as the Data Package
    of :mod:`compendium.checks.archive`. Raises :class:`DataContractError` when unreadable."""
    out = _Collector()
    table = _read_csv(Path(path), Path(path).name, out)
    if table is None:
        raise DataContractError(out.items)
    return list(table.frame.columns)


def _require_columns(table: _Table, label: str, required: tuple[str, ...], out: _Collector) -> bool:
    missing = [c for c in required if c not in table.frame.columns]
    for c in missing:
        out.add(label, "header", c, "required column is missing")
    return not missing


def _each(table: _Table, mask: pd.Series, label: str, column: str, rule, out: _Collector) -> None:
    """Record one violation for every row where ``mask`` is true, the first
    ``MAX_ERRORS_PER_RULE`` of them by row and the rest as a count."""
    values = table.frame[column]
    rows = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    cap = get_limit("MAX_ERRORS_PER_RULE")
    for i in rows[:cap]:
        text = rule(values.iat[i]) if callable(rule) else rule
        out.add(label, table.where(int(i)), column, text)
    if len(rows) > cap:
        last = rule(values.iat[rows[cap]]) if callable(rule) else rule
        out.add(
            label,
            f"{len(rows) - cap} more row(s)",
            column,
            f"break the same rule (as {table.where(int(rows[cap]))}: {last}); only the first {cap} are listed "
            "(COMPENDIUM_MAX_ERRORS_PER_RULE)",
        )


def parse_yes_no(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Boolean values (missing where blank) and a mask of cells that are not yes/no."""
    low = values.str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[low.isin(YES)] = True
    result[low.isin(NO)] = False
    bad = (values != "") & ~low.isin(YES | NO)
    return result, bad


def _yes_no_rule(value: str) -> str:
    return f"{value!r} is not a yes/no value (yes/no, true/false, 1/0, y/n)"


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    nums = pd.to_numeric(values.where(values != ""), errors="coerce")
    bad = (values != "") & nums.isna()
    return nums, bad


def _check_ids(table: _Table, label: str, out: _Collector) -> None:
    ids = table.frame["participant_id"]
    _each(table, ids == "", label, "participant_id", "a participant id is required", out)
    bad = (ids != "") & ~ids.str.fullmatch(ID_PATTERN.pattern)
    _each(table, bad, label, "participant_id", lambda v: f"{v!r} may hold only letters, digits, '-' and '_'", out)


# --------------------------------------------------------------------------- participants


def _participants(table: _Table, arms: Arms, arms_from: str, out: _Collector) -> pd.DataFrame | None:
    label = "participants.csv"
    if not _require_columns(table, label, PARTICIPANT_COLUMNS, out):
        return None
    f = table.frame
    _check_ids(table, label, out)
    ids = f["participant_id"]
    dup = ids.duplicated(keep="first") & (ids != "")
    first_row = {v: i for i, v in reversed(list(enumerate(ids)))}
    _each(
        table,
        dup,
        label,
        "participant_id",
        lambda v: f"{v!r} is not unique (first used in {table.where(first_row[v])})",
        out,
    )
    if "site" in f.columns:
        _each(table, f["site"] == "", label, "site", "a site is required when the column is present", out)
    held = sorted(set(f["group"]) - {""})
    if held and not set(held) & set(arms.labels):
        out.add(
            label,
            "every row",
            "group",
            f"holds {', '.join(map(repr, held))}, none of them an arm label: the arms are "
            f"{arms.control!r} and {arms.intervention!r} ({arms_from})",
        )
    else:
        _each(
            table,
            ~f["group"].isin(arms.labels),
            label,
            "group",
            lambda v: f"{v!r} is not one of the arm labels {arms.control!r}, {arms.intervention!r} ({arms_from})",
            out,
        )
    age, bad_age = _numbers(f["age"])
    _each(table, bad_age, label, "age", lambda v: f"{v!r} is not a number", out)
    out_of_range = age.notna() & ((age < AGE_RANGE[0]) | (age > AGE_RANGE[1]))
    _each(
        table,
        out_of_range,
        label,
        "age",
        lambda v: f"{v} is outside the accepted range {AGE_RANGE[0]} to {AGE_RANGE[1]} years",
        out,
    )
    activism, bad_act = parse_yes_no(f["previous_activism"])
    _each(table, bad_act, label, "previous_activism", _yes_no_rule, out)
    consent = f["consent"].str.lower()
    _each(table, ~consent.isin(CONSENT), label, "consent", lambda v: f"{v!r} must be 'given' or 'withdrawn'", out)

    result = pd.DataFrame(
        {
            "participant_id": ids.astype("string"),
            "site": (f["site"] if "site" in f.columns else pd.Series("all", index=f.index)).astype("string"),
            "group": f["group"].astype("string"),
            "gender": f["gender"].replace("", pd.NA).astype("string"),
            "ethnicity": f["ethnicity"].replace("", pd.NA).astype("string"),
            "age": age.astype("Float64"),
            "previous_activism": activism,
            "consent": consent.astype("string"),
        }
    )
    return result


# --------------------------------------------------------------------------- survey


def _item_columns(columns: list[str], kind: str, minimum: int, label: str, out: _Collector) -> list[str] | None:
    pattern = ITEM_PATTERN[kind]
    numbered = sorted((int(m.group(1)), c) for c in columns if (m := pattern.match(c)))
    numbers = [n for n, _ in numbered]
    if len(numbered) < minimum:
        out.add(
            label,
            "header",
            f"{kind}_1 ... {kind}_k",
            f"at least {minimum} {kind} item column(s) are required, found {len(numbered)}",
        )
        return None
    if numbers != list(range(1, len(numbers) + 1)):
        out.add(
            label,
            "header",
            f"{kind}_*",
            f"item columns must be numbered 1 to {len(numbers)} without gaps, found {numbers}",
        )
        return None
    return [c for _, c in numbered]


def _survey(table: _Table, known_ids: set[str] | None, out: _Collector):
    label = "survey.csv"
    f = table.frame
    ok = _require_columns(table, label, SURVEY_COLUMNS, out)
    cc = _item_columns(list(f.columns), "cc", 2, label, out)
    support = _item_columns(list(f.columns), "support", 1, label, out)
    if not ok or cc is None or support is None:
        return None
    _check_ids(table, label, out)
    ids = f["participant_id"]
    if known_ids is not None:
        _each(
            table,
            (ids != "") & ~ids.isin(known_ids),
            label,
            "participant_id",
            lambda v: f"{v!r} is not in participants.csv",
            out,
        )
    wave = f["wave"].str.lower()
    _each(table, ~wave.isin(WAVES), label, "wave", lambda v: f"{v!r} must be 'pre' or 'post'", out)
    key = ids + "\x00" + wave
    dup = key.duplicated(keep="first") & wave.isin(WAVES) & (ids != "")
    first_row = {k: i for i, k in reversed(list(enumerate(key)))}
    for i in np.flatnonzero(dup.to_numpy()):
        out.add(
            label,
            table.where(int(i)),
            "wave",
            f"a second {wave.iat[i]!r} row for {ids.iat[i]!r} (first in {table.where(first_row[key.iat[i]])}); "
            "at most one row per learner and wave",
        )
    result = pd.DataFrame({"participant_id": ids.astype("string"), "wave": wave.astype("string")})
    for col in cc + support:
        nums, bad = _numbers(f[col])
        not_int = nums.notna() & ((nums % 1 != 0) | (nums < LIKERT[0]) | (nums > LIKERT[1]))
        _each(
            table,
            bad | not_int,
            label,
            col,
            lambda v: f"{v!r} is not a whole number from {LIKERT[0]} to {LIKERT[1]}",
            out,
        )
        result[col] = nums.where(~not_int).astype("Int64")
    for col in ("participation", "leadership"):
        values, bad = parse_yes_no(f[col])
        _each(table, bad, label, col, _yes_no_rule, out)
        result[col] = values
    return result, cc, support


# --------------------------------------------------------------------------- codebook


def _codebook(path: Path, out: _Collector) -> pd.DataFrame | None:
    label = "codebook.yaml"
    text = _read_text(path, label, out)
    if text is None:
        return None
    ok, data = _read_yaml(text, label, out, strings=True)
    if not ok:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list) or not data["themes"]:
        out.add(label, "file", "themes", "a non-empty list 'themes' is required at the top level")
        return None
    rows = []
    seen: dict[str, str] = {}

    def claim(ident: str, where: str) -> None:
        if ident in seen:
            out.add(
                label, where, "id", f"{ident!r} is used twice (also {seen[ident]}); ids are unique across the codebook"
            )
        else:
            seen[ident] = where

    for t_i, theme in enumerate(data["themes"], start=1):
        where_t = f"theme {t_i}"
        if not isinstance(theme, dict):
            out.add(label, where_t, "", "each theme must be a mapping with id, label and codes")
            continue
        for key in ("id", "label"):
            if not isinstance(theme.get(key), str) or not theme.get(key, "").strip():
                out.add(label, where_t, key, "required text is missing")
        theme_id = str(theme.get("id", "")).strip()
        if theme_id:
            claim(theme_id, where_t)
        codes = theme.get("codes")
        if not isinstance(codes, list) or not codes:
            out.add(label, where_t, "codes", "a non-empty list of codes is required")
            continue
        for c_i, code in enumerate(codes, start=1):
            where_c = f"theme {t_i} ({theme_id or '?'}), code {c_i}"
            if not isinstance(code, dict):
                out.add(label, where_c, "", "each code must be a mapping with id, label and definition")
                continue
            for key in ("id", "label", "definition"):
                if not isinstance(code.get(key), str) or not code.get(key, "").strip():
                    out.add(label, where_c, key, "required text is missing")
            code_id = str(code.get("id", "")).strip()
            if code_id:
                claim(code_id, where_c)
            rows.append(
                {
                    "theme": theme_id,
                    "theme_label": str(theme.get("label", "")).strip(),
                    "code": code_id,
                    "code_label": str(code.get("label", "")).strip(),
                    "definition": str(code.get("definition", "")).strip(),
                    "theme_description": _optional_text(theme.get("description")),
                    "include": _optional_text(code.get("include")),
                    "exclude": _optional_text(code.get("exclude")),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["theme", "theme_label", "code", "code_label", "definition", "theme_description", "include", "exclude"],
    )


def _optional_text(value) -> str:
    """An optional codebook text ('' when absent or not text)."""
    return value.strip() if isinstance(value, str) else ""


# --------------------------------------------------------------------------- sources


def _sources(folder: Path, known_ids: set[str] | None, out: _Collector):
    files = sorted(folder.glob("*.md"))
    if not files:
        out.add("sources/", "folder", "", "no source files (<id>.md) were found")
        return None
    total, cap = 0, get_limit("MAX_SOURCES_BYTES")
    for path in files:
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass
    if total > cap:
        out.add(
            "sources/",
            "folder",
            "",
            f"the source files hold {size_text(total)} in all, more than the limit of "
            f"{size_text(cap)} (set COMPENDIUM_MAX_SOURCES_BYTES to raise it)",
        )
        return None
    from compendium.core.feedback import progress

    meta_rows, unit_rows = [], []
    for path in progress(files, "reading sources"):
        label = f"sources/{path.name}"
        if not ID_PATTERN.match(path.stem):
            out.add(
                label,
                "file",
                "",
                "a source's file name must be its id and '.md': the id may hold only letters, digits, '-' and '_'",
            )
            continue
        text = _read_text(path, label, out)
        if text is None:
            continue
        try:
            parsed = src.split_front_matter(text)
        except src.FrontMatterError as exc:
            out.add(label, f"line {exc.line}", "", str(exc))
            continue
        meta = parsed.meta
        fm = "front matter"
        ident = meta.get("id")
        if not isinstance(ident, str) or not ident.strip():
            out.add(label, fm, "id", "required key is missing")
        elif ident.strip() != path.stem:
            out.add(label, fm, "id", f"{ident!r} must equal the file name without '.md' ({path.stem!r})")
        kind = meta.get("type")
        if kind not in src.SOURCE_TYPES:
            out.add(label, fm, "type", f"{kind!r} must be one of {', '.join(src.SOURCE_TYPES)}")
        date = meta.get("date")
        if not isinstance(date, str) or not DATE_PATTERN.match(date.strip()):
            out.add(label, fm, "date", f"{date!r} must be a date written YYYY-MM-DD")
        else:
            try:
                dt.date.fromisoformat(date.strip())
            except ValueError:
                out.add(label, fm, "date", f"{date!r} is not a calendar date")
        people = src.as_list(meta.get("participants", None))
        if people is None:
            out.add(label, fm, "participants", "a list of participant ids is required (it may be empty for a document)")
            people = []
        for pid in people:
            if known_ids is not None and pid not in known_ids:
                out.add(label, fm, "participants", f"{pid!r} is not in participants.csv")
        facilitators: list[str] = []
        if kind in src.SPOKEN_TYPES:
            facilitators = src.as_list(meta.get("facilitators", None)) or []
            if src.as_list(meta.get("facilitators", None)) is None:
                out.add(label, fm, "facilitators", f"a list of facilitator ids is required for a {kind}")
            for both in sorted(set(people) & set(facilitators)):
                out.add(label, fm, "facilitators", f"{both!r} is listed both as participant and as facilitator")
        elif kind == "document":
            genre = meta.get("genre")
            if not isinstance(genre, str) or not genre.strip():
                out.add(label, fm, "genre", "a genre is required for a document")
        if kind in src.SPOKEN_TYPES:
            units, orphans, unlisted = src.split_turns(parsed.body, set(people) | set(facilitators), parsed.body_line)
            for line, speaker in unlisted:
                out.add(
                    label,
                    f"line {line}",
                    "body",
                    f"speaker {speaker!r} is not listed in the front matter's participants or facilitators",
                )
            for line in orphans:
                out.add(
                    label,
                    f"line {line}",
                    "body",
                    "text before the first speaker turn; each turn starts 'SPEAKER: ' with a listed "
                    "participant or facilitator",
                )
            if not units:
                out.add(label, "body", "body", "no speaker turns were found")
        elif kind == "document":
            units = src.split_paragraphs(parsed.body, parsed.body_line)
            if not units:
                out.add(label, "body", "body", "the document has no text")
        else:
            units = []
        genre = meta.get("genre") if kind == "document" else None
        platform = meta.get("platform") if kind == "document" else None
        meta_rows.append(
            {
                "source_id": path.stem,
                "type": kind,
                "date": str(date).strip() if date is not None else None,
                "genre": genre,
                "platform": platform if isinstance(platform, str) else None,
                "participants": people,
                "facilitators": facilitators,
                "n_units": len(units),
            }
        )
        for u in units:
            role = None
            if u.speaker is not None:
                role = "facilitator" if u.speaker in facilitators else "participant"
            unit_rows.append(
                {
                    "source_id": path.stem,
                    "unit": u.number,
                    "speaker": u.speaker,
                    "speaker_role": role,
                    "text": u.text,
                }
            )
    meta_df = pd.DataFrame(
        meta_rows, columns=["source_id", "type", "date", "genre", "platform", "participants", "facilitators", "n_units"]
    )
    unit_df = pd.DataFrame(unit_rows, columns=["source_id", "unit", "speaker", "speaker_role", "text"])
    return meta_df, unit_df


# --------------------------------------------------------------------------- coding


def _codings(
    folder: Path, n_units: dict[str, int] | None, codes: set[str] | None, fallback: str | None, out: _Collector
):
    files = sorted(folder.glob("*.csv"))
    coder_files = [p for p in files if p.stem != "consensus"]
    if not coder_files:
        out.add("coding/", "folder", "", "no coder files (coding/<coder>.csv) were found")
        return None
    has_consensus = (folder / "consensus.csv").is_file()
    names = [p.stem for p in coder_files]
    if not has_consensus and fallback and fallback not in names:
        out.add(
            "coding/consensus.csv",
            "file",
            "",
            f"the file is absent and the coder named to stand in for it, {fallback!r}, has no file in coding/ "
            f"(it has: {', '.join(names)})",
        )
    frames = []
    for path in files:
        label = f"coding/{path.name}"
        if not ID_PATTERN.match(path.stem):
            out.add(label, "file", "", "a coder's name may hold only letters, digits, '-' and '_'")
            continue
        table = _read_csv(path, label, out)
        if table is None or not _require_columns(table, label, CODING_COLUMNS, out):
            continue
        f = table.frame
        for col in CODING_COLUMNS:
            _each(table, f[col] == "", label, col, "a value is required", out)
        unit, bad = _numbers(f["unit"])
        bad = bad | (unit.notna() & ((unit % 1 != 0) | (unit < 1)))
        _each(table, bad, label, "unit", lambda v: f"{v!r} is not a unit number (a whole number from 1)", out)
        if n_units is not None:
            known = f["source_id"].isin(set(n_units))
            _each(
                table,
                (f["source_id"] != "") & ~known,
                label,
                "source_id",
                lambda v: f"{v!r} is not a source in sources/",
                out,
            )
            limit = f["source_id"].map(n_units)
            beyond = known & ~bad & unit.notna() & (unit > limit)
            for i in np.flatnonzero(beyond.to_numpy()):
                sid = f["source_id"].iat[i]
                out.add(
                    label,
                    table.where(int(i)),
                    "unit",
                    f"{f['unit'].iat[i]!r} does not exist in source {sid!r}, which has {n_units[sid]} unit(s)",
                )
        if codes is not None:
            _each(
                table,
                (f["code"] != "") & ~f["code"].isin(codes),
                label,
                "code",
                lambda v: f"{v!r} is not a code id in codebook.yaml",
                out,
            )
        frames.append(
            pd.DataFrame(
                {
                    "coder": path.stem,
                    "source_id": f["source_id"],
                    "unit": unit.where(~bad).astype("Int64"),
                    "code": f["code"],
                }
            )
        )
    if not frames:
        return None
    codings = pd.concat(frames, ignore_index=True)
    if not has_consensus:
        stand_in = codings[codings["coder"] == fallback] if fallback else majority_coding(codings)
        codings = pd.concat([codings, stand_in.assign(coder="consensus")], ignore_index=True)
    return codings


def majority_coding(codings: pd.DataFrame) -> pd.DataFrame:
    """A consensus derived from the coders' files when no consensus file exists and no
    coder is named to stand in: a code is applied to a unit when more than half of the
    coders who coded that unit's source applied it (with two coders, when both did;
    with one coder on a source, that coder's coding)."""
    codings = codings.dropna(subset=["unit"]).drop_duplicates()
    coders_per_source = codings.groupby("source_id")["coder"].nunique()
    votes = codings.groupby(["source_id", "unit", "code"], sort=True)["coder"].nunique().reset_index(name="votes")
    keep = votes["votes"] * 2 > votes["source_id"].map(coders_per_source)
    return (
        votes.loc[keep, ["source_id", "unit", "code"]]
        .assign(coder="majority")[["coder", "source_id", "unit", "code"]]
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------- entry points


class ParameterError(ValueError):
    """A parameter in params.yaml refers to the data and does not fit them."""


def check_parameters(study: Study, *, covariates: list[str], stratum: str) -> None:
    """Check the parameters that name columns of the data against the data, before any
    analysis runs: ``effects.covariates`` must be learner columns, ``effects.stratum``
    a learner column with at least two observed values. Raises :class:`ParameterError`
    naming the params.yaml key, the value and what the data hold."""
    columns = [c for c in study.participants.columns if c not in ("participant_id", "group")]
    problems = []
    for cov in covariates:
        if cov not in columns:
            problems.append(
                f"params.yaml effects.covariates: {cov!r} is not a column of participants.csv "
                f"(the learner columns are {', '.join(columns)})"
            )
    if stratum not in columns:
        problems.append(
            f"params.yaml effects.stratum: {stratum!r} is not a column of participants.csv "
            f"(the learner columns are {', '.join(columns)})"
        )
    elif study.participants[stratum].dropna().nunique() < 2:
        held = sorted(map(str, study.participants[stratum].dropna().unique()))
        problems.append(
            f"params.yaml effects.stratum: {stratum!r} needs at least two values to stratify by; "
            f"the data hold {', '.join(held) or 'none'}"
        )
    if problems:
        raise ParameterError("the parameters do not fit the data:\n" + "\n".join(f"  - {p}" for p in problems))


def load_study(raw_dir: str | Path, arms: Arms | None = None, consensus_coder: str | None = None) -> Study:
    """Validate ``raw_dir`` against the data contract and return the study data.

    Raises :class:`DataContractError` listing every violation; nothing is returned
    (and so nothing can be written) unless the whole folder is valid.
    """
    raw = Path(raw_dir)
    out = _Collector()
    if not raw.is_dir():
        raise DataContractError([Violation(str(raw_dir), "folder", "", "the raw-data folder does not exist")])

    def need(name: str, is_dir: bool = False) -> Path | None:
        p = raw / name
        if p.is_dir() if is_dir else p.is_file():
            return p
        out.add(
            name + ("/" if is_dir else ""),
            "file" if not is_dir else "folder",
            "",
            "required " + ("folder" if is_dir else "file") + " is missing",
        )
        return None

    dataset = _dataset(raw / DATASET_FILE, out)
    arms, arms_from = _resolve_arms(arms, dataset, out)
    p_path, s_path = need("participants.csv"), need("survey.csv")
    src_path, cb_path, cod_path = need("sources", True), need("codebook.yaml"), need("coding", True)

    participants = None
    if p_path:
        table = _read_csv(p_path, "participants.csv", out)
        if table is not None:
            participants = _participants(table, arms, arms_from, out)
    known = set(participants["participant_id"].dropna()) if participants is not None else None

    survey_result = None
    if s_path:
        table = _read_csv(s_path, "survey.csv", out)
        if table is not None:
            survey_result = _survey(table, known, out)

    codebook = _codebook(cb_path, out) if cb_path else None
    source_result = _sources(src_path, known, out) if src_path else None
    n_units = dict(zip(source_result[0]["source_id"], source_result[0]["n_units"])) if source_result else None
    codes = set(codebook["code"]) if codebook is not None else None
    _check_links(dataset, codes, out)
    stand_in = consensus_coder or str(dataset.get("consensus_coder") or "") or None
    codings = _codings(cod_path, n_units, codes, stand_in, out) if cod_path else None

    if out.items:
        raise DataContractError(out.items)
    assert participants is not None and survey_result is not None  # noqa: S101 - guaranteed above
    assert source_result is not None and codebook is not None and codings is not None  # noqa: S101
    survey, cc, support = survey_result
    study = _apply_consent(participants, survey, cc, support, source_result, codebook, codings, arms)
    study.dataset = dataset
    study.arms = arms
    if not (raw / "coding" / "consensus.csv").is_file():
        study.consensus = f"coder:{stand_in}" if stand_in else "majority"
    return study


OUTCOME_NAMES = ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support")
_TEXT_KEYS = (
    "title",
    "setting",
    "period",
    "ethics",
    "funding",
    "conflicts",
    "consensus_coder",
    "truth_file",
    "generator",
    "design",
)
_LIST_KEYS = {
    "keywords": "keywords",
    "deidentify.names": ("deidentify", "names"),
    "deidentify.places": ("deidentify", "places"),
    "deidentify.allowed": ("deidentify", "allowed"),
}


def _resolve_arms(arms: Arms | None, dataset: dict, out: _Collector) -> tuple[Arms, str]:
    """The arm labels and where they come from: given (params.yaml ``arms``), else
    ``arms`` in dataset.yaml, else the contract's default ``control``/``intervention``."""
    if arms is not None:
        return arms, "params.yaml: arms"
    given = dataset.get("arms")
    if given is None:
        return Arms(), "the default; name yours in data/raw/dataset.yaml, arms: {control: ..., intervention: ...}"
    try:
        return Arms(str(given["control"]), str(given["intervention"])), "dataset.yaml: arms"
    except (TypeError, KeyError, ValueError) as exc:
        out.add(
            DATASET_FILE,
            "key",
            "arms",
            f"must be a mapping with two different labels, control and intervention ({exc})",
        )
        return Arms(), "dataset.yaml: arms"


def _dataset(path: Path, out: _Collector) -> dict:
    """The optional ``dataset.yaml``: what is specific to one study (see the data
    dictionary): its title, authors, setting and design as the manuscript reports
    them, the coder who stands in for a missing consensus, the joint display's links
    between codes and outcomes, names to redact and proper nouns to keep, and, for
    generated data, ``synthetic: true`` with the generator's arguments."""
    if not path.is_file():
        return {}
    text = _read_text(path, DATASET_FILE, out)
    if text is None:
        return {}
    ok, data = _read_yaml(text, DATASET_FILE, out, strings=False, by_line=False)
    if not ok:
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        out.add(DATASET_FILE, "file", "", "must be a mapping of keys to values")
        return {}
    if "synthetic" in data and not isinstance(data["synthetic"], bool):
        out.add(DATASET_FILE, "file", "synthetic", "must be true or false")
    _check_dataset(data, out)
    return {str(k): v for k, v in data.items()}


def _check_dataset(data: dict, out: _Collector) -> None:
    """The shapes of dataset.yaml's keys."""

    def bad(key: str, rule: str) -> None:
        out.add(DATASET_FILE, "key", key, rule)

    for key in _TEXT_KEYS:
        if data.get(key) is not None and not isinstance(data[key], (str, int, float)):
            bad(key, "must be a single text value")
    for key, where in _LIST_KEYS.items():
        value = data.get(where) if isinstance(where, str) else (data.get(where[0]) or {})
        if isinstance(where, tuple):
            if data.get(where[0]) is not None and not isinstance(data[where[0]], dict):
                bad(where[0], "must be a mapping")
                continue
            value = value.get(where[1])  # type: ignore[union-attr] # a mapping: checked just above
        if value is not None and not (isinstance(value, list) and all(isinstance(v, (str, int)) for v in value)):
            bad(key, "must be a list of text values")
    authors = data.get("authors")
    if authors is not None:
        if not isinstance(authors, list):
            bad("authors", "must be a list of mappings with at least a name")
        else:
            for k, a in enumerate(authors, start=1):
                if not isinstance(a, dict) or not str(a.get("name") or "").strip():
                    bad(
                        f"authors[{k}]",
                        "must be a mapping with a name (affiliation, email, orcid, corresponding: optional)",
                    )
    features = data.get("design_features")
    if features is not None and not (isinstance(features, dict) and all(isinstance(v, str) for v in features.values())):
        bad("design_features", "must be a mapping of design features (allocation, blinding, ...) to text")
    items = data.get("items")
    if items is not None:
        if not isinstance(items, dict):
            bad("items", "must be a mapping of survey item columns (cc_1, support_1, ...) to their wording")
        else:
            for column, wording in items.items():
                if not re.fullmatch(r"(cc|support)_[1-9][0-9]*", str(column)):
                    bad(f"items.{column}", "is not a survey item column (cc_1, cc_2, ..., support_1, ...)")
                elif not isinstance(wording, str) or not wording.strip():
                    bad(f"items.{column}", "must be the item's wording as text")


def _check_links(data: dict, codes: set[str] | None, out: _Collector) -> None:
    """dataset.yaml's joint-display links against the codebook and the outcomes."""

    def bad(key: str, rule: str) -> None:
        out.add(DATASET_FILE, "key", key, rule)

    integration = data.get("integration")
    if integration is None:
        return
    links = integration.get("links") if isinstance(integration, dict) else None
    if not isinstance(integration, dict) or (links is not None and not isinstance(links, list)):
        bad("integration.links", "must be a list of {code, outcome, direction} mappings")
        return
    for k, link in enumerate(links or [], start=1):
        key = f"integration.links[{k}]"
        if not isinstance(link, dict):
            bad(key, "must be a mapping with code, outcome and direction")
            continue
        code, outcome = str(link.get("code") or ""), str(link.get("outcome") or "")
        if codes is not None and code not in codes:
            bad(f"{key}.code", f"{code!r} is not a code id in codebook.yaml")
        if outcome not in OUTCOME_NAMES:
            bad(f"{key}.outcome", f"{outcome!r} is not one of the outcomes ({', '.join(OUTCOME_NAMES)})")
        if str(link.get("direction", "same")) not in ("same", "inverse"):
            bad(f"{key}.direction", f"{link.get('direction')!r} must be 'same' or 'inverse'")


def _apply_consent(participants, survey, cc, support, source_result, codebook, codings, arms: Arms) -> Study:
    withdrawn = set(participants.loc[participants["consent"] == "withdrawn", "participant_id"])
    post_ids = set(survey.loc[survey["wave"] == "post", "participant_id"])
    flow: dict[str, dict] = {"arms": {}, "sources": {}}
    for arm in arms.labels:
        in_arm = participants[participants["group"] == arm]
        kept = in_arm[~in_arm["participant_id"].isin(withdrawn)]
        flow["arms"][arm] = {
            "enrolled": int(len(in_arm)),
            "withdrew": int(in_arm["participant_id"].isin(withdrawn).sum()),
            "consented": int(len(kept)),
            "no_post_wave": int((~kept["participant_id"].isin(post_ids)).sum()),
        }
    kept_p = participants[~participants["participant_id"].isin(withdrawn)].drop(columns="consent")
    kept_p = kept_p.sort_values("participant_id", kind="stable").reset_index(drop=True)
    kept_s = survey[~survey["participant_id"].isin(withdrawn)]
    kept_s = kept_s.sort_values(["participant_id", "wave"], kind="stable").reset_index(drop=True)

    meta, units = source_result
    has_withdrawn = meta["participants"].map(lambda ps: bool(set(ps) & withdrawn))
    all_withdrawn = meta["participants"].map(lambda ps: bool(ps) and set(ps) <= withdrawn)
    # A document cannot be split by author, so one withdrawn author removes it whole.
    drop_sources = set(meta.loc[all_withdrawn | (has_withdrawn & (meta["type"] == "document")), "source_id"])
    units = units[~units["source_id"].isin(drop_sources) & ~units["speaker"].isin(withdrawn)]
    meta = meta[~meta["source_id"].isin(drop_sources)].copy()
    meta["participants"] = meta["participants"].map(lambda ps: [p for p in ps if p not in withdrawn])
    flow["sources"] = {
        "received": int(len(source_result[0])),
        "dropped_withdrawn": int(len(drop_sources)),
        "units_dropped_withdrawn": int(len(source_result[1]) - len(units)),
    }
    kept_units = set(zip(units["source_id"], units["unit"].astype(int)))
    codings = codings.drop_duplicates()
    keep = [(s, int(u)) in kept_units for s, u in zip(codings["source_id"], codings["unit"])]
    codings = codings[keep].sort_values(["coder", "source_id", "unit", "code"], kind="stable")
    coders = sorted(set(codings["coder"]) - {"consensus"})
    return Study(
        participants=kept_p,
        survey=kept_s,
        cc_items=cc,
        support_items=support,
        flow=flow,
        sources=meta.sort_values("source_id", kind="stable").reset_index(drop=True),
        units=units.sort_values(["source_id", "unit"], kind="stable").reset_index(drop=True),
        codebook=codebook,
        codings=codings.reset_index(drop=True),
        coders=coders,
        withdrawn=sorted(withdrawn),
    )
