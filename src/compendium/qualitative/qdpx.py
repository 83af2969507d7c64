"""Exchange with qualitative-analysis software through REFI-QDA (QDA-XML 1.0).

NVivo, ATLAS.ti, MAXQDA and QualCoder read and write two formats:

- ``.qdc``, a codebook: codes, nested codes and code sets;
- ``.qdpx``, a project: a ZIP holding ``project.qde`` (XML) and the sources as plain
  text under ``sources/``. Users, codes, sources, selections and codings.

Export writes the de-identified project (themes as parent codes, each coder as a
user who owns their own selections and codings) deterministically: GUIDs derive from
names, ZIP entries carry a fixed date. A theme's description and a code's definition
are the codes' ``<Description>``; a code's include and exclude rules are project
``<Note>`` elements the code points to with ``<NoteRef>`` (the ``.qdc`` format has no
notes, so there they follow the definition as paragraphs ``Include: ...`` and
``Exclude: ...``); the contract ids travel in one project note, "Compendium ids", so
nothing is added to any visible description.

Import turns a project from any of those tools back into the data contract's
``sources/``, ``codebook.yaml`` and ``coding/<coder>.csv`` (see :func:`read_qdpx`).
Positions are Unicode code points, start inclusive, end exclusive, counted in the text
exactly as stored (CRLF line ends included); NVivo counts UTF-16 code units instead,
which import detects and converts.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_NAMESPACE = uuid.UUID("6f1f6a4e-2b0e-5d55-9d4f-7e3c1a0b9c11")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_TURN = re.compile(r"^([A-Za-z0-9_-]+):\s")
THEME_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
IDS_NOTE = "Compendium ids"
RULES = (("include", "Include"), ("exclude", "Exclude"))


class QdaError(ValueError):
    """A REFI-QDA file that cannot be read; the message names the file and the element."""


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts))).upper()


# --------------------------------------------------------------------------- export


def source_text(units: pd.DataFrame) -> tuple[str, list[tuple[int, int, int]]]:
    """A source's plain text (one unit per paragraph, turns prefixed by their speaker)
    and each unit's (number, start, end) in code points."""
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    pos = 0
    for number, speaker, text in zip(units["unit"], units["speaker"], units["text"]):
        piece = f"{speaker}: {text}" if isinstance(speaker, str) else text
        if parts:
            pos += 2  # the blank line between paragraphs
        spans.append((int(number), pos, pos + len(piece)))
        parts.append(piece)
        pos += len(piece)
    return "\n\n".join(parts) + "\n", spans


ID_LINE = re.compile(r"\n*Compendium id: ([A-Za-z0-9_-]+)\s*$")  # written by exports before 2026-11


def _split_id(description: str) -> tuple[str, str | None]:
    m = ID_LINE.search(description)
    return (description[: m.start()].strip(), m.group(1)) if m else (description.strip(), None)


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _rules(r) -> list[tuple[str, str]]:
    """(heading, text) of a codebook row's include and exclude rules that are given."""
    return [(title, _text(getattr(r, key, ""))) for key, title in RULES if _text(getattr(r, key, ""))]


def _code_xml(codebook: pd.DataFrame, notes: bool) -> str:
    """The codes; with ``notes`` (a project), rules are NoteRefs to project notes,
    without (a .qdc), paragraphs after the definition."""
    lines = []
    for t_index, (theme, block) in enumerate(codebook.groupby("theme", sort=False)):
        colour = THEME_COLOURS[t_index % len(THEME_COLOURS)]
        label = block["theme_label"].iloc[0]
        described = _text(block["theme_description"].iloc[0]) if "theme_description" in block else ""
        lines.append(f'<Code guid="{guid("code", theme)}" name={quoteattr(label)} isCodable="false" color="{colour}">')
        if described:
            lines.append(f"<Description>{escape(described)}</Description>")
        for r in block.itertuples(index=False):
            rules = _rules(r)
            text = (
                r.definition
                if notes or not rules
                else "\n\n".join([r.definition, *(f"{title}: {rule}" for title, rule in rules)])
            )
            refs = (
                "".join(f'<NoteRef targetGUID="{guid("note", title, r.code)}"/>' for title, _ in rules) if notes else ""
            )
            lines.append(
                f'<Code guid="{guid("code", r.code)}" name={quoteattr(r.code_label)} isCodable="true" '
                f'color="{colour}"><Description>{escape(text)}</Description>{refs}</Code>'
            )
        lines.append("</Code>")
    return "\n".join(lines)


def _notes_xml(codebook: pd.DataFrame) -> str:
    """Project notes: each code's include and exclude rules, and the contract ids."""
    notes = []
    for r in codebook.itertuples(index=False):
        for title, rule in _rules(r):
            notes.append(
                f'<Note guid="{guid("note", title, r.code)}" name={quoteattr(f"{title}: {r.code_label}")}>'
                f"<PlainTextContent>{escape(rule)}</PlainTextContent></Note>"
            )
    ids = [(guid("code", t), t) for t in dict.fromkeys(codebook["theme"])]
    ids += [(guid("code", c), c) for c in codebook["code"]]
    table = "\n".join(f"{g} {i}" for g, i in ids)
    notes.append(
        f'<Note guid="{guid("note", IDS_NOTE)}" name="{IDS_NOTE}"><Description>The data contract\'s '
        f"id of each code (GUID, id), so that a round trip keeps them.</Description>"
        f"<PlainTextContent>{escape(table)}</PlainTextContent></Note>"
    )
    return "<Notes>\n" + "\n".join(notes) + "\n</Notes>\n"


def codebook_qdc(codebook: pd.DataFrame, origin: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{CODEBOOK_NS}" origin={quoteattr(origin)}>\n'
        f"<Codes>\n{_code_xml(codebook, notes=False)}\n</Codes>\n</CodeBook>\n"
    )


def project_qde(
    name: str,
    origin: str,
    sources: pd.DataFrame,
    units: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: pd.DataFrame,
    coders: list[str],
    description: str = "",
) -> tuple[str, dict[str, str]]:
    """The project XML and the plain-text files it refers to (path -> text)."""
    users = "\n".join(f'<User guid="{guid("user", c)}" name={quoteattr(c)}/>' for c in coders)
    files: dict[str, str] = {}
    blocks = []
    units_of = {sid: part.sort_values("unit", kind="stable") for sid, part in units.groupby("source_id", sort=False)}
    codings_of = {sid: part for sid, part in codings.groupby("source_id", sort=False)}
    empty_units, empty_codings = units.iloc[:0], codings.iloc[:0]
    for s in sources.itertuples(index=False):
        su = units_of.get(s.source_id, empty_units)
        text, spans = source_text(su)
        src_guid = guid("source", s.source_id)
        files[f"sources/{src_guid}.txt"] = text
        described = [f"type: {s.type}", f"date: {s.date}"]
        if s.type != "document":
            described.append("facilitators: " + ", ".join(s.facilitators))
        else:
            described.append(f"genre: {s.genre}")
        described.append("participants: " + ", ".join(s.participants))
        selections = []
        mine = codings_of.get(s.source_id, empty_codings)
        by_unit_coder = mine.groupby(["unit", "coder"])["code"].apply(sorted).to_dict() if len(mine) else {}
        for number, start, end in spans:
            for coder in coders:
                codes = by_unit_coder.get((number, coder), [])
                if not codes:
                    continue
                user = guid("user", coder)
                codings_xml = "".join(
                    f'<Coding guid="{guid("coding", s.source_id, str(number), coder, c)}" creatingUser="{user}">'
                    f'<CodeRef targetGUID="{guid("code", c)}"/></Coding>'
                    for c in codes
                )
                selections.append(
                    f'<PlainTextSelection guid="{guid("selection", s.source_id, str(number), coder)}" '
                    f'name="{s.source_id} unit {number}" startPosition="{start}" endPosition="{end}" '
                    f'creatingUser="{user}">{codings_xml}</PlainTextSelection>'
                )
        blocks.append(
            f'<TextSource guid="{src_guid}" name={quoteattr(s.source_id)} plainTextPath="internal://{src_guid}.txt">'
            f"<Description>{escape('; '.join(described))}</Description>" + "".join(selections) + "</TextSource>"
        )
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{PROJECT_NS}" name={quoteattr(name)} '
        f"origin={quoteattr(origin)}>\n<Users>\n{users}\n</Users>\n<CodeBook>\n<Codes>\n"
        f"{_code_xml(codebook, notes=True)}\n</Codes>\n</CodeBook>\n<Sources>\n"
        + "\n".join(blocks)
        + "\n</Sources>\n"
        + _notes_xml(codebook)
        + (f"<Description>{escape(description)}</Description>\n" if description else "")
        + f'<NoteRef targetGUID="{guid("note", IDS_NOTE)}"/>\n</Project>\n'
    )
    return xml, files


def write_zip(path: Path, members: dict[str, str]) -> None:
    """A ZIP whose bytes depend only on its contents (sorted names, fixed dates)."""
    from io import BytesIO

    from compendium.core.io import write_bytes

    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name].encode("utf-8"))
    write_bytes(path, buf.getvalue())


def validate(xml: str | bytes, schema: str) -> None:
    """Validate against one of the shipped REFI-QDA schemas (``Project-mrt2019.xsd``,
    ``Codebook.xsd``); raise :class:`QdaError` listing the problems."""
    from lxml import etree

    xsd = resources.files("compendium.qualitative.schemas").joinpath(schema).read_bytes()
    checker = etree.XMLSchema(etree.fromstring(xsd))
    doc = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, _parser())
    if not checker.validate(doc):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in checker.error_log)
        raise QdaError(f"not valid against {schema}: {problems}")


# --------------------------------------------------------------------------- import


def _parser():
    """An XML parser that expands no entity, reads no DTD and fetches nothing."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _slug(text: str, taken: set[str], lower: bool = True) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+" if not lower else r"[^A-Za-z0-9]+", "_", text).strip("_")[:60].strip("_")
    base = (base.lower() if lower else base) or "item"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What import reads at most (each also set by ``COMPENDIUM_QDA_<NAME>`` or a
    command-line option, named in the error that a limit causes)."""

    max_members: int = 20_000  # entries in the archive
    max_member_bytes: int = 32 * MB  # one source text, once decompressed
    max_qde_bytes: int = 64 * MB  # project.qde (or a .qdc), once decompressed
    max_total_bytes: int = 64 * MB  # all source texts read from the archive together
    max_units: int = 1_000_000  # units (paragraphs) in all sources
    max_rows: int = 2_000_000  # coding rows (coder, source, unit, code)

    @classmethod
    def from_env(cls, **given) -> Limits:
        from compendium.core.config import limit

        values = {name: limit(f"QDA_{name.upper()}", default) for name, default in vars(cls()).items()}
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)


_HOW = {
    "max_members": "--max-members",
    "max_member_bytes": "--max-member-mb",
    "max_qde_bytes": "--max-qde-mb",
    "max_total_bytes": "--max-total-mb",
    "max_units": "--max-units",
    "max_rows": "--max-rows",
}


def _over(label: str, what: str, name: str, value: int) -> QdaError:
    from compendium.core.config import size_text

    shown = size_text(value) if name.endswith("bytes") else str(value)
    return QdaError(
        f"{label}: {what} is more than the limit of {shown} ({_HOW[name]} or COMPENDIUM_QDA_{name.upper()} raises it)"
    )


@dataclass
class Imported:
    codebook: list[dict] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # id -> file text
    rows: dict[str, set] = field(default_factory=dict)  # coder -> {(source_id, unit, code)}
    summary: dict = field(default_factory=dict)

    @property
    def codings(self) -> dict[str, list[dict]]:
        """coder -> rows {source_id, unit, code}, sorted."""
        return {
            coder: [{"source_id": s, "unit": u, "code": c} for s, u, c in sorted(rows)]
            for coder, rows in self.rows.items()
        }

    @property
    def problems(self) -> int:
        """Codings that could not be placed and sources that could not be read."""
        return int(self.summary.get("not_placed", 0)) + int(self.summary.get("unreadable_sources", 0))


class _Report:
    """What import read, wrote and left out (with why); a few examples per reason."""

    EXAMPLES = 5

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.reasons: dict[str, dict] = {}
        self.sources: list[dict] = []

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def skip(self, reason: str, where: str, n: int = 1) -> None:
        entry = self.reasons.setdefault(reason, {"reason": reason, "codings": 0, "examples": []})
        entry["codings"] += n
        if len(entry["examples"]) < self.EXAMPLES:
            entry["examples"].append(where)


def _read_codes(root, label: str, notes: dict[str, tuple[str, str]] | None = None) -> tuple[list[dict], dict[str, str]]:
    """Themes with their codes, and code GUID -> code id.

    A top-level code with children is a theme; every code below it, at any depth, is
    one of its codes, with its full path kept (``path``; the label is the path below
    the theme). A top-level code without children takes a code set (ATLAS.ti's code
    groups) as theme when it belongs to one, else the theme 'ungrouped'. Include and
    exclude rules come from the notes a code refers to (or, in a .qdc, from paragraphs
    ``Include: ...`` / ``Exclude: ...`` of its description); ids from the project note
    "Compendium ids" when there is one.
    """
    notes = notes or {}
    ids = {}
    for title, text in notes.values():
        if title == IDS_NOTE:
            ids = {g.upper(): i for g, i in (line.split(" ", 1) for line in text.splitlines() if " " in line)}
    holder = next((e for e in root.iter() if _local(e.tag) == "CodeBook"), root)
    codes_el = _children(holder, "Codes")
    if not codes_el:
        return [], {}
    taken: set[str] = set()
    themes: dict[str, dict] = {}
    by_guid: dict[str, str] = {}
    set_of: dict[str, tuple[str, str]] = {}
    for sets in root.iter():
        if _local(sets.tag) == "Set":
            d = _children(sets, "Description")
            for member in _children(sets, "MemberCode"):
                key = (member.get("guid") or member.get("targetGUID") or "").upper()
                set_of.setdefault(key, (sets.get("name") or "set", (d[0].text or "").strip() if d else ""))

    def described(el) -> dict:
        d = _children(el, "Description")
        text, old_id = _split_id(d[0].text or "") if d else ("", None)
        out = {"id": ids.get((el.get("guid") or "").upper(), old_id)}
        paragraphs = re.split(r"\n\s*\n", text) if text else []
        while paragraphs:  # trailing "Include: ..." / "Exclude: ..." paragraphs (a .qdc)
            m = re.match(r"(Include|Exclude): (.*)", paragraphs[-1].strip(), re.S)
            if not m:
                break
            out[m.group(1).lower()] = m.group(2).strip()
            paragraphs.pop()
        out["text"] = "\n\n".join(p.strip() for p in paragraphs).strip()
        for ref in _children(el, "NoteRef"):
            title, body = notes.get((ref.get("targetGUID") or "").upper(), ("", ""))
            for key, word in RULES:
                if title.startswith(f"{word}:") or title.lower() == key:
                    out[key] = body.strip()
        return out

    def claim(name: str, ident: str | None) -> str:
        if ident and ident not in taken and re.fullmatch(r"[A-Za-z0-9_-]+", ident):
            taken.add(ident)
            return ident
        return _slug(name, taken)

    def theme(name: str, info: dict | None = None, extra: str = "") -> dict:
        if name not in themes:
            info = info or {"id": None, "text": extra}
            themes[name] = {"id": claim(name, info.get("id")), "label": name}
            if info.get("text") and info["text"] != "Theme.":
                themes[name]["description"] = info["text"]
            themes[name]["codes"] = []
        return themes[name]

    def code_entry(el, info: dict, path: list[str]) -> dict:
        entry = {
            "id": claim(path[-1], info.get("id")),
            "label": " > ".join(path[1:]) if len(path) > 2 else path[-1],
            "definition": info.get("text") or "(no definition in the imported codebook)",
        }
        if len(path) > 2:
            entry["path"] = " > ".join(path)
        for key, _ in RULES:
            if info.get(key):
                entry[key] = info[key]
        return entry

    for top in _children(codes_el[0], "Code"):
        name = (top.get("name") or "").strip() or "unnamed"
        key = (top.get("guid") or "").upper()
        kids = _children(top, "Code")
        if not kids:
            set_name, set_text = set_of.get(key, ("ungrouped", ""))
            t = theme(set_name, extra=set_text)
            entry = code_entry(top, described(top), [set_name, name])
            t["codes"].append(entry)
            by_guid[key] = entry["id"]
            continue
        info = described(top)
        t = theme(name, info)
        by_guid[key] = t["id"]
        if top.get("isCodable", "true") == "true":  # a parent that is itself applied: keep it as a code
            general = {
                "id": _slug(t["id"] + "_general", taken),
                "label": name + " (general)",
                "definition": info.get("text") or "(no definition in the imported codebook)",
            }
            t["codes"].append(general)
            by_guid[key] = general["id"]
        stack = [(child, [name]) for child in reversed(kids)]  # depth first, in document order; no recursion
        while stack:
            el, parents = stack.pop()
            path = parents + [(el.get("name") or "").strip() or "unnamed"]
            entry = code_entry(el, described(el), path)
            t["codes"].append(entry)
            by_guid[(el.get("guid") or "").upper()] = entry["id"]
            stack.extend((child, path) for child in reversed(_children(el, "Code")))
    return [t for t in themes.values() if t["codes"]], by_guid


_SPACE = re.compile(r"\s+")
_NONSPACE = re.compile(r"\S")
_EOL = r"(?:\r\n|\r(?!\n)|\n)"
_BLANK = re.compile(rf"{_EOL}[ \t\f\v]*{_EOL}(?:[ \t\f\v]*{_EOL})*")


def _units(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (start, end) of a plain text, in code points of the text as
    stored: blocks of non-blank lines, from their first to their last non-space
    character. Linear in the length of the text."""
    spans, start = [], 0
    for m in [*_BLANK.finditer(text), None]:
        stop = m.start() if m else len(text)
        first = _NONSPACE.search(text, start, stop)
        if first is not None:
            end = stop
            while text[end - 1].isspace():
                end -= 1
            spans.append((first.start(), end))
        if m:
            start = m.end()
    return spans


def _folded(text: str, spans: list[tuple[int, int]], window: int = 1 << 20):
    """The units' text with every run of white space folded to one space, as pieces of
    at most about ``window`` characters, the units separated by a blank line (so a
    long unit is never copied whole more than once)."""
    for k, (a, b) in enumerate(spans):
        if k:
            yield "\n\n"
        i = a
        while i < b:
            j = min(b, i + window)
            if j < b:  # end the piece after a word, before white space, so no run is split
                k = j
                while k > i and not (not text[k - 1].isspace() and text[k].isspace()):
                    k -= 1
                if k > i:
                    j = k
                elif text[j - 1].isspace() and text[j].isspace():
                    m = _NONSPACE.search(text, j, b)
                    j = m.start() if m else b
            yield _SPACE.sub(" ", text[i:j])
            i = j


def _front_matter(ident: str, description: str, body_units: list[str]) -> tuple[str, str]:
    import json

    meta = dict(part.split(": ", 1) for part in description.split("; ") if ": " in part)
    speakers = [m.group(1) for u in body_units if (m := _TURN.match(u))]
    spoken = bool(body_units) and len(speakers) == len(body_units)
    kind = meta.get("type") or ("interview" if spoken else "document")
    if kind not in ("interview", "focus_group", "document") or (kind != "document" and not spoken):
        kind = "document" if not spoken else "interview"
    ok = re.compile(r"[A-Za-z0-9_-]+")
    facilitators = [x for x in meta.get("facilitators", "").split(", ") if ok.fullmatch(x)]
    participants = [x for x in meta.get("participants", "").split(", ") if ok.fullmatch(x)]
    if kind != "document":
        participants = [p for p in participants if p not in facilitators]
        if not participants:
            participants = sorted(set(speakers) - set(facilitators))
    date = meta.get("date", "")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        date = "1970-01-01"
    head = ["---", f"id: {ident}", f"type: {kind}", f"date: {date}", f"participants: [{', '.join(participants)}]"]
    if kind == "document":
        head.append(f"genre: {json.dumps(meta.get('genre') or 'imported', ensure_ascii=False)}")
    else:
        head.append(f"facilitators: [{', '.join(facilitators)}]")
    head.append("---")
    return kind, "\n".join(head)


def _member_count(path: Path) -> int | None:
    """Entries in a ZIP as its end record declares them, read before Python's zipfile
    builds one object per entry (None when the record is not found)."""
    import struct

    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        loc = tail.rfind(b"PK\x06\x07", 0, at)
        if entries == 0xFFFF and loc >= 0 and len(tail) >= loc + 20:
            offset = struct.unpack("<Q", tail[loc + 8 : loc + 16])[0]
            fh.seek(offset)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) >= 40:
                entries = struct.unpack("<Q", record[32:40])[0]
    return entries


class _Archive:
    """Members of a .qdpx read on demand, each and all together within the limits."""

    def __init__(self, zf: zipfile.ZipFile, label: str, limits: Limits) -> None:
        self.zf, self.label, self.limits, self.total = zf, label, limits, 0
        self.members = {i.filename.replace("\\", "/").lower(): i for i in zf.infolist() if not i.is_dir()}
        self.used: set[str] = set()

    def find(self, ref: str) -> zipfile.ZipInfo | None:
        """The member a path refers to: ``internal://x.txt``, ``relative://...``, a bare
        or Windows path: tried as given, under ``sources/``, and by its file name."""
        r = re.sub(r"^[A-Za-z]+://", "", ref.strip()).replace("\\", "/").lstrip("/")
        base = r.rsplit("/", 1)[-1]
        for candidate in (r, f"sources/{r}", f"sources/{base}", base):
            info = self.members.get(candidate.lower())
            if info is not None:
                return info
        return None

    def read(self, info: zipfile.ZipInfo, cap: int, cap_name: str, counted: bool = True) -> bytes:
        name = info.filename
        if info.file_size > cap:
            raise _over(self.label, f"archive member {name!r} ({info.file_size} bytes)", cap_name, cap)
        with self.zf.open(info) as fh:
            data = fh.read(cap + 1)
        if len(data) > cap:
            raise _over(self.label, f"archive member {name!r} (it expands beyond its declared size)", cap_name, cap)
        self.total += len(data) if counted else 0
        if self.total > self.limits.max_total_bytes:
            raise _over(
                self.label, "the source text read from the archive", "max_total_bytes", self.limits.max_total_bytes
            )
        self.used.add(info.filename.replace("\\", "/").lower())
        return data


class _Unreadable(Exception):
    """A source whose text cannot be read: skipped and reported."""


def _decode(data: bytes, where: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _Unreadable(f"{where}: not valid UTF-16 text (byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"{where}: not UTF-8 text (byte {exc.start}; REFI-QDA sources are UTF-8: re-export "
            "the project, or convert the file)"
        ) from None


def _binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    return bool(sample) and controls > 0.05 * len(sample)


class _Offsets:
    """Positions of one text in the convention of the exporting tool, as code points."""

    def __init__(self, text: str, utf16: bool) -> None:
        from array import array
        from bisect import bisect_right

        self.length = len(text)
        self.utf16 = utf16
        self._bisect = bisect_right
        # the UTF-16 offset just past each character outside the Basic Multilingual Plane
        self.after = array("q")
        if utf16:
            k = 0
            for m in re.finditer(r"[\U00010000-\U0010FFFF]", text):
                k += 1
                self.after.append(m.start() + k + 1)
        self.length16 = self.length + len(self.after)

    def point(self, position: int) -> int:
        if not self.utf16 or not self.after:
            return position
        return position - self._bisect(self.after, position)

    @property
    def limit(self) -> int:
        return self.length16 if self.utf16 else self.length


def _astral(text: str) -> bool:
    return re.search(r"[\U00010000-\U0010FFFF]", text) is not None


def _boundary_share(text: str, positions: list[int], utf16: bool) -> float:
    """Share of selection boundaries that fall on a word boundary when ``positions``
    are read in one convention (the test that tells NVivo's UTF-16 offsets apart)."""
    conv = _Offsets(text, utf16)
    hits = 0
    for p in positions:
        q = conv.point(p)
        if q <= 0 or q >= len(text) or not (text[q - 1].isalnum() and text[q].isalnum()):
            hits += 1
    return hits / len(positions) if positions else 1.0


_MEDIA_SELECTIONS = {
    "PDFSelection": "a region of a PDF page",
    "PictureSelection": "a region of a picture",
    "AudioSelection": "a stretch of audio",
    "VideoSelection": "a stretch of video",
}


def read_qdpx(path: str | Path, *, offsets: str | None = None, limits: Limits | None = None) -> Imported:
    """Read a ``.qdpx`` project (or a ``.qdc`` codebook, which gives codes only).

    Parameters
    ----------
    path : the ``.qdpx`` or ``.qdc`` file.
    offsets : ``"codepoints"`` (REFI-QDA: Unicode characters) or ``"utf16"`` (UTF-16
        code units, as NVivo writes them); ``None`` detects NVivo from the project's
        ``origin`` attribute and, for other tools, picks the convention that puts more
        selection boundaries on word boundaries in texts with characters outside the
        Basic Multilingual Plane (where the two differ).
    limits : what is read at most (:class:`Limits`; default from the environment).

    Every selection's codings are placed on the units (paragraphs) the selection
    overlaps, or counted in the summary with the reason they could not be: nothing is
    dropped silently. Returns an :class:`Imported` whose ``summary`` says what was read,
    written and left out. Raises :class:`QdaError` naming the file, element and rule.

    References
    ----------
    REFI-QDA Project Exchange standard 1.5 (QDA-XML project and codebook schemas), 2019,
    https://www.qdasoftware.org/.
    """
    from lxml import etree

    path = Path(path)
    label = path.name
    limits = limits or Limits.from_env()
    if offsets not in (None, "codepoints", "utf16"):
        raise QdaError(f"--offsets {offsets!r}: must be 'codepoints' or 'utf16'")
    try:
        if path.suffix.lower() == ".qdc":
            size = path.stat().st_size
            if size > limits.max_qde_bytes:
                raise _over(label, f"the codebook ({size} bytes)", "max_qde_bytes", limits.max_qde_bytes)
            root = etree.fromstring(path.read_bytes(), _parser())
            themes, _ = _read_codes(root, label)
            if not themes:
                raise QdaError(f"{label}: no codes in the codebook (<Codes> is missing or empty)")
            n = sum(len(t["codes"]) for t in themes)
            return Imported(
                codebook=themes,
                summary={
                    "file": label,
                    "read": {"codes": n},
                    "written": {"themes": len(themes), "codes": n},
                    "skipped": [],
                    "not_placed": 0,
                    "unreadable_sources": 0,
                },
            )
        count = _member_count(path)
        if count is not None and count > limits.max_members:
            raise _over(label, f"the archive's {count} entries", "max_members", limits.max_members)
        with zipfile.ZipFile(path) as zf:
            if len(zf.infolist()) > limits.max_members:
                raise _over(label, f"the archive's {len(zf.infolist())} entries", "max_members", limits.max_members)
            archive = _Archive(zf, label, limits)
            qde = next((i for n, i in sorted(archive.members.items()) if n.endswith(".qde")), None)
            if qde is None:
                raise QdaError(f"{label}: no project.qde inside the archive")
            root = etree.fromstring(archive.read(qde, limits.max_qde_bytes, "max_qde_bytes", counted=False), _parser())
            return _read_project(root, archive, label, offsets, limits)
    except QdaError:
        raise
    except etree.XMLSyntaxError as exc:
        raise QdaError(f"{label}: not well-formed XML ({exc})") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,
    ) as exc:
        raise QdaError(f"{label}: not a readable REFI-QDA file ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # zlib.error and the like: a damaged archive
        raise QdaError(f"{label}: not a readable REFI-QDA file ({type(exc).__name__}: {exc})") from None


def _text_holders(root):
    """(kind, element, name, description element holder) of every element that carries
    text with selections: text sources, a PDF's text representation, transcripts."""
    for src in root.iter():
        kind = _local(src.tag)
        if kind == "TextSource":
            parent = src.getparent()
            if parent is not None and _local(parent.tag) == "Sources":
                yield "TextSource", src, src.get("name") or src.get("guid") or "source", src
        elif kind == "Representation":
            parent = src.getparent()
            if parent is not None and _local(parent.tag) == "PDFSource":
                yield "PDFSource representation", src, parent.get("name") or src.get("name") or "pdf", parent
        elif kind == "Transcript":
            parent = src.getparent()
            pname = parent.get("name") if parent is not None else None
            yield "Transcript", src, src.get("name") or (f"{pname} transcript" if pname else "transcript"), src


def _read_project(root, archive: _Archive, label: str, offsets: str | None, limits: Limits) -> Imported:
    report = _Report()
    origin = root.get("origin") or ""
    nvivo = re.search(r"nvivo", origin, re.I) is not None
    notes = {}
    for note in root.iter():
        if _local(note.tag) == "Note":
            content = _children(note, "PlainTextContent")
            notes[(note.get("guid") or "").upper()] = (
                note.get("name") or "",
                (content[0].text or "") if content else "",
            )
    users = {
        u.get("guid", "").upper(): u.get("name") or u.get("id") or u.get("guid")
        for u in root.iter()
        if _local(u.tag) == "User"
    }
    themes, by_guid = _read_codes(root, label, notes)
    out = Imported(codebook=themes)
    all_codings = sum(1 for e in root.iter() if _local(e.tag) == "Coding")
    seen_codings = 0
    taken: set[str] = set()
    coder_names: dict[str, str] = {}
    n_units = n_rows = n_selections = 0
    unreadable = empty = 0
    decisions: list[dict] = []
    for kind, el, name, described in _text_holders(root):
        where = f"{kind} {name!r}"
        report.count("sources")
        ident = _slug(
            Path(name).stem if Path(name).suffix.lower() in (".txt", ".docx", ".pdf", ".rtf", ".doc") else name,
            taken,
            lower=False,
        )
        selections = [s for s in el if _local(s.tag) in ("PlainTextSelection", "TranscriptSelection")]
        n_selections += len(selections)
        n_here = sum(1 for s in selections for c in s if _local(c.tag) == "Coding")
        text, why = None, ""
        try:
            content = _children(el, "PlainTextContent")
            ref = el.get("plainTextPath")
            if content:
                text = content[0].text or ""
            elif ref:
                info = archive.find(ref)
                if info is None:
                    raise _Unreadable(f"{where}: refers to {ref!r}, which the archive does not hold")
                data = archive.read(info, limits.max_member_bytes, "max_member_bytes")
                text = _decode(data, f"{where}, archive member {info.filename!r}")
                del data
            else:
                raise _Unreadable(
                    f"{where}: has no plain text (no plainTextPath, no PlainTextContent); "
                    "export with plain-text sources"
                )
        except _Unreadable as exc:
            why = str(exc)
            unreadable += 1
        if text is not None:
            if _binary(text):
                why, text = f"{where}: binary content (NUL or control characters), not text; not written", None
                empty += 1
            elif not text.strip():
                why, text = f"{where}: empty text ({len(text)} character(s)); not written", None
                empty += 1
        if text is None:
            report.sources.append({"source": name, "skipped": why})
            if n_here:
                report.skip("the source was not written (see sources)", where, n_here)
            seen_codings += n_here
            continue
        spans = _units(text)
        n_units += len(spans)
        if n_units > limits.max_units:
            raise _over(
                label,
                f"the number of units (paragraphs) in the sources ({n_units} so far)",
                "max_units",
                limits.max_units,
            )
        # offsets: the exporting tool's convention
        use16, because = offsets == "utf16", "--offsets"
        if offsets is None:
            use16, because = nvivo, (f"origin {origin!r}" if nvivo else "REFI-QDA")
            if not nvivo and _astral(text):
                positions = [
                    int(v)
                    for s in selections[:2000]
                    for v in (s.get("startPosition"), s.get("endPosition"))
                    if v is not None and re.fullmatch(r"-?\d+", v.strip())
                ]
                cp, u16 = _boundary_share(text, positions, False), _boundary_share(text, positions, True)
                if u16 > cp:
                    use16, because = True, f"word boundaries: {u16:.0%} as UTF-16, {cp:.0%} as code points"
        if _astral(text):
            decisions.append({"source": name, "offsets": "utf16" if use16 else "codepoints", "because": because})
        conv = _Offsets(text, use16)
        starts = [a for a, _ in spans]
        ends = [b for _, b in spans]
        desc = _children(described, "Description")
        # the start of each unit is enough to tell speaker turns; the body is written with
        # each unit's white space folded, one unit at a time (no list of words)
        _, head = _front_matter(
            ident, (desc[0].text or "") if desc else "", [text[a : min(b, a + 200)] for a, b in spans]
        )
        out.sources[ident] = "".join([head, "\n\n", *_folded(text, spans), "\n"])
        del text
        sync = {(p.get("guid") or "").upper(): p.get("position") for p in el if _local(p.tag) == "SyncPoint"}
        for sel in selections:
            codings = [c for c in sel if _local(c.tag) == "Coding"]
            seen_codings += len(codings)
            if not codings:
                continue
            sel_where = f"{where}, {_local(sel.tag)} {sel.get('guid') or sel.get('name') or '?'}"
            if _local(sel.tag) == "TranscriptSelection":
                raw = (
                    sync.get((sel.get("fromSyncPoint") or "").upper()),
                    sync.get((sel.get("toSyncPoint") or "").upper()),
                )
            else:
                raw = (sel.get("startPosition"), sel.get("endPosition"))
            problem, hit = "", []
            if raw[0] is None or raw[1] is None:
                problem = "no start or end position"
            elif not (re.fullmatch(r"\s*-?\d+\s*", raw[0]) and re.fullmatch(r"\s*-?\d+\s*", raw[1])):
                problem = f"a position that is not a whole number ({raw[0]!r}, {raw[1]!r})"
            else:
                a, b = int(raw[0]), int(raw[1])
                if a < 0 or b < 0:
                    problem = "a negative position"
                elif a > b:
                    problem = "a reversed range (start after end)"
                elif b > conv.limit:
                    problem = (
                        f"a range beyond the end of the text ({b} > {conv.limit} "
                        f"{'UTF-16 code units' if use16 else 'characters'})"
                    )
                else:
                    start, end = conv.point(a), conv.point(b)
                    from bisect import bisect_right

                    first = bisect_right(ends, start)
                    stop = max(end, start + 1)
                    k = first
                    while k < len(spans) and starts[k] < stop:
                        hit.append(k + 1)
                        k += 1
                    if not hit:
                        problem = "a range that holds no text (blank lines only)"
            if problem:
                report.skip(f"selection with {problem}", sel_where, len(codings))
                continue
            for coding in codings:
                who = (coding.get("creatingUser") or sel.get("creatingUser") or "").upper()
                raw_name = users.get(who, who or "unknown")
                coder = coder_names.setdefault(raw_name, _slug(raw_name, set(coder_names.values())))
                refs = _children(coding, "CodeRef")
                code = by_guid.get((refs[0].get("targetGUID") or "").upper()) if refs else None
                if code is None:
                    report.skip("coding whose code is not in the codebook", sel_where)
                    continue
                rows = out.rows.setdefault(coder, set())
                before = len(rows)
                rows.update((ident, u, code) for u in hit)
                n_rows += len(rows) - before
                if n_rows > limits.max_rows:
                    raise _over(label, f"the number of coding rows ({n_rows} so far)", "max_rows", limits.max_rows)
                report.count("codings placed")
    # codings on what has no text, and anywhere else the importer does not read
    for el in root.iter():
        tag = _local(el.tag)
        if tag in _MEDIA_SELECTIONS:
            n = sum(1 for c in el if _local(c.tag) == "Coding")
            if n:
                report.skip(
                    f"coding on {_MEDIA_SELECTIONS[tag]} (no text unit to place it on)",
                    f"{tag} {el.get('guid') or '?'}",
                    n,
                )
                seen_codings += n
        elif tag.endswith("Source") and tag != "Source":
            n = len(_children(el, "Coding"))
            if n:
                report.skip("coding of a whole source (the contract codes units)", f"{tag} {el.get('name') or '?'}", n)
                seen_codings += n
    if seen_codings < all_codings:
        report.skip(
            "coding in an element the importer does not read", "elsewhere in the project", all_codings - seen_codings
        )
    not_placed = sum(r["codings"] for r in report.reasons.values())
    unused = sorted(i.filename for n, i in archive.members.items() if n not in archive.used)
    out.summary = {
        "file": label,
        "origin": origin,
        "offsets": decisions,
        "read": {
            "sources": report.counts.get("sources", 0),
            "codes": sum(len(t["codes"]) for t in themes),
            "themes": len(themes),
            "users": len(users),
            "selections": n_selections,
            "codings": all_codings,
        },
        "written": {
            "sources": len(out.sources),
            "units": n_units,
            "coders": sorted(out.rows),
            "rows": sum(len(r) for r in out.rows.values()),
            "codings_placed": report.counts.get("codings placed", 0),
        },
        "not_placed": not_placed,
        "unreadable_sources": unreadable,
        "empty_sources": empty,
        "skipped": list(report.reasons.values()),
        "sources_skipped": report.sources,
        "codebook": "read" if themes else "the project has no codebook (no codes); codebook.yaml is not written",
        "archive_members_not_read": {"count": len(unused), "first": unused[:10]},
    }
    return out


def summary_text(summary: dict) -> str:
    """The import summary as lines for people."""
    r, w = summary.get("read", {}), summary.get("written", {})
    lines = [
        f"{summary.get('file')}: read {r.get('sources', 0)} source(s), {r.get('codes', 0)} code(s) in "
        f"{r.get('themes', 0)} theme(s), {r.get('users', 0)} user(s), {r.get('selections', 0)} selection(s) "
        f"with {r.get('codings', 0)} coding(s)",
        f"wrote {w.get('sources', 0)} source(s) with {w.get('units', 0)} unit(s); "
        f"{w.get('rows', 0)} coding row(s) for coder(s) {', '.join(w.get('coders', [])) or 'none'} "
        f"({w.get('codings_placed', 0)} coding(s) placed)",
    ]
    for d in summary.get("offsets", []):
        lines.append(f"offsets of {d['source']!r} read as {d['offsets']} ({d['because']})")
    if summary.get("codebook", "read") != "read":
        lines.append(summary["codebook"])
    for s in summary.get("sources_skipped", []):
        lines.append(f"skipped source: {s['skipped']}")
    for entry in summary.get("skipped", []):
        lines.append(
            f"NOT PLACED: {entry['codings']} coding(s): {entry['reason']} (e.g. {'; '.join(entry['examples'])})"
        )
    extra = summary.get("archive_members_not_read", {})
    if extra.get("count"):
        lines.append(
            f"{extra['count']} archive member(s) not referenced by the project and not read "
            f"(e.g. {', '.join(extra['first'][:3])})"
        )
    return "\n".join(lines)


def check_out_dir(out_dir: str | Path) -> Path:
    """The output folder, which must be absent or empty (so old and new files never mix)."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise QdaError(
            f"--out {out}: the folder must be empty or absent; it already holds files, which would "
            "mix with the imported ones"
        )
    return out


def write_contract(imported: Imported, out_dir: str | Path, *, summary: bool = True) -> Path:
    """Write the imported project as the contract's ``sources/``, ``codebook.yaml``
    and ``coding/<coder>.csv``, and the import summary as ``import-summary.json``
    (which validation ignores). ``out_dir`` must be empty or absent."""
    import yaml

    from compendium.core.io import dumps_json

    out = check_out_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if imported.codebook:
        (out / "codebook.yaml").write_text(
            yaml.safe_dump({"themes": imported.codebook}, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
    if imported.sources:
        (out / "sources").mkdir(exist_ok=True)
        for ident, text in imported.sources.items():
            (out / "sources" / f"{ident}.md").write_text(text, encoding="utf-8")
    if imported.rows:
        (out / "coding").mkdir(exist_ok=True)
        for coder, rows in imported.rows.items():
            frame = pd.DataFrame(sorted(rows), columns=["source_id", "unit", "code"])
            (out / "coding" / f"{coder}.csv").write_text(
                frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8"
            )
    if summary and imported.summary:
        (out / "import-summary.json").write_text(dumps_json(imported.summary), encoding="utf-8")
    return out
