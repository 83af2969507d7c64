"""Qualitative sources: front matter and units of coding.

A source file is ``<id>.md``: YAML front matter between two ``---`` lines, then the
body. Interviews and focus groups are split into speaker turns (a line that starts
with ``SPEAKER:``, SPEAKER being one of the source's participants or facilitators,
opens a turn; any other line continues the open turn). Documents are split into
paragraphs at blank lines. Units are numbered from 1 in file order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from compendium.core.config import YamlLimitError, load_yaml

SOURCE_TYPES = ("interview", "focus_group", "document")
SPOKEN_TYPES = ("interview", "focus_group")

_TURN = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*:\s?(.*)$")
# A prefix with a digit in it ("L0042:", "F01:") is taken for a speaker id; one that
# is not listed in the front matter is reported rather than read as continued text.
_ID_LIKE = re.compile(r"^[A-Za-z_-]*\d[A-Za-z0-9_-]*$")


class FrontMatterError(ValueError):
    """The front matter block is missing or is not YAML; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Unit:
    number: int
    speaker: str | None  # None for a document paragraph
    text: str
    line: int  # 1-based line in the file where the unit starts


@dataclass(frozen=True)
class ParsedSource:
    meta: dict
    body: str
    body_line: int  # 1-based line of the file on which the body starts


def split_front_matter(text: str) -> ParsedSource:
    """Separate the YAML front matter from the body.

    Scalars are read as strings (YAML's base loader), so that ids such as ``0012``
    and dates keep exactly the characters written in the file.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError("the file must start with a '---' line opening the front matter", 1)
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            block = "\n".join(lines[1:i])
            try:
                meta = load_yaml(block, "front matter", strings=True)  # scalars as text; alias limits
            except YamlLimitError as exc:
                raise FrontMatterError(str(exc).removeprefix("front matter: "), 2) from None
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = (mark.line + 2) if mark is not None else 2
                problem = getattr(exc, "problem", None) or str(exc)
                raise FrontMatterError(f"front matter is not valid YAML: {problem}", line) from None
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                raise FrontMatterError("front matter must be a mapping of keys to values", 2)
            return ParsedSource(meta=meta, body="\n".join(lines[i + 1 :]), body_line=i + 2)
    raise FrontMatterError("the front matter is not closed by a second '---' line", 1)


def split_turns(
    body: str, speakers: set[str], first_line: int = 1
) -> tuple[list[Unit], list[int], list[tuple[int, str]]]:
    """Speaker turns of an interview or focus-group body.

    Returns the units, the file lines of any non-blank text that comes before the
    first turn (which the contract does not allow), and the lines that open with a
    speaker id not listed in the front matter.
    """
    units: list[Unit] = []
    orphans: list[int] = []
    unlisted: list[tuple[int, str]] = []
    speaker: str | None = None
    parts: list[str] = []
    start = 0
    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        m = _TURN.match(line)
        if m and m.group(1) not in speakers and _ID_LIKE.match(m.group(1)):
            unlisted.append((lineno, m.group(1)))
            continue
        if m and m.group(1) in speakers:
            if speaker is not None:
                units.append(Unit(len(units) + 1, speaker, _join(parts), start))
            speaker, parts, start = m.group(1), [m.group(2)], lineno
        elif speaker is not None:
            parts.append(line)
        elif line.strip():
            orphans.append(lineno)
    if speaker is not None:
        units.append(Unit(len(units) + 1, speaker, _join(parts), start))
    return units, orphans, unlisted


def split_paragraphs(body: str, first_line: int = 1) -> list[Unit]:
    """Paragraphs of a document body (blocks of non-blank lines)."""
    units: list[Unit] = []
    parts: list[str] = []
    start = 0
    for offset, line in enumerate(body.split("\n")):
        if line.strip():
            if not parts:
                start = first_line + offset
            parts.append(line)
        elif parts:
            units.append(Unit(len(units) + 1, None, _join(parts), start))
            parts = []
    if parts:
        units.append(Unit(len(units) + 1, None, _join(parts), start))
    return units


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def as_list(value: object) -> list[str] | None:
    """A front-matter list of ids; ``None`` when the value is not a list."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    return None
