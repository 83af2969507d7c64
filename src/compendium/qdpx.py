"""Exchange with qualitative-analysis software through REFI-QDA (QDA-XML 1.0).

NVivo, ATLAS.ti, MAXQDA and QualCoder read and write two formats:

- ``.qdc``, a codebook: codes, nested codes and code sets;
- ``.qdpx``, a project: a ZIP holding ``project.qde`` (XML) and the sources as plain
  text under ``sources/``. Users, codes, sources, selections and codings.

Export writes the de-identified project (themes as parent codes, each coder as a
user who owns their own selections and codings) deterministically: GUIDs derive from
names, ZIP entries carry a fixed date. Import turns a project from any of those
tools back into the data contract's ``sources/``, ``codebook.yaml`` and
``coding/<coder>.csv``. Positions are Unicode code points, start inclusive, end
exclusive, counted in the text exactly as stored (CRLF line ends included).
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


class QdaError(ValueError):
    """A REFI-QDA file that cannot be read; the message names the file and the element."""


def guid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts))).upper()


# --------------------------------------------------------------------------- export


def source_text(units: pd.DataFrame) -> tuple[str, list[tuple[int, int, int]]]:
    """A source's plain text (one unit per paragraph, turns prefixed by their speaker)
    and each unit's (number, start, end) in code points."""
    parts, spans, pos = [], [], 0
    for number, speaker, text in zip(units["unit"], units["speaker"], units["text"]):
        piece = f"{speaker}: {text}" if isinstance(speaker, str) else text
        if parts:
            pos += 2  # the blank line between paragraphs
        spans.append((int(number), pos, pos + len(piece)))
        parts.append(piece)
        pos += len(piece)
    return "\n\n".join(parts) + "\n", spans


ID_LINE = re.compile(r"\n*Compendium id: ([A-Za-z0-9_-]+)\s*$")


def _with_id(description: str, ident: str) -> str:
    """A description that carries the contract id, so a round trip keeps it."""
    return f"{description}\n\nCompendium id: {ident}"


def _split_id(description: str) -> tuple[str, str | None]:
    m = ID_LINE.search(description)
    return (description[: m.start()].strip(), m.group(1)) if m else (description.strip(), None)


def _code_xml(codebook: pd.DataFrame) -> str:
    lines = []
    for t_index, (theme, block) in enumerate(codebook.groupby("theme", sort=False)):
        colour = THEME_COLOURS[t_index % len(THEME_COLOURS)]
        label = block["theme_label"].iloc[0]
        lines.append(f'<Code guid="{guid("code", theme)}" name={quoteattr(label)} isCodable="false" color="{colour}">')
        lines.append(f"<Description>{escape(_with_id('Theme.', theme))}</Description>")
        for r in block.itertuples(index=False):
            lines.append(f'<Code guid="{guid("code", r.code)}" name={quoteattr(r.code_label)} isCodable="true" '
                         f'color="{colour}"><Description>{escape(_with_id(r.definition, r.code))}</Description></Code>')
        lines.append("</Code>")
    return "\n".join(lines)


def codebook_qdc(codebook: pd.DataFrame, origin: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="{CODEBOOK_NS}" origin={quoteattr(origin)}>\n'
            f"<Codes>\n{_code_xml(codebook)}\n</Codes>\n</CodeBook>\n")


def project_qde(name: str, origin: str, sources: pd.DataFrame, units: pd.DataFrame, codings: pd.DataFrame,
                codebook: pd.DataFrame, coders: list[str], description: str = "") -> tuple[str, dict[str, str]]:
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
                    f'<CodeRef targetGUID="{guid("code", c)}"/></Coding>' for c in codes)
                selections.append(
                    f'<PlainTextSelection guid="{guid("selection", s.source_id, str(number), coder)}" '
                    f'name="{s.source_id} unit {number}" startPosition="{start}" endPosition="{end}" '
                    f'creatingUser="{user}">{codings_xml}</PlainTextSelection>')
        blocks.append(
            f'<TextSource guid="{src_guid}" name={quoteattr(s.source_id)} plainTextPath="internal://{src_guid}.txt">'
            f"<Description>{escape('; '.join(described))}</Description>" + "".join(selections) + "</TextSource>")
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{PROJECT_NS}" name={quoteattr(name)} '
           f'origin={quoteattr(origin)}>\n<Users>\n{users}\n</Users>\n<CodeBook>\n<Codes>\n{_code_xml(codebook)}\n'
           f"</Codes>\n</CodeBook>\n<Sources>\n" + "\n".join(blocks) + "\n</Sources>\n"
           + (f"<Description>{escape(description)}</Description>\n" if description else "") + "</Project>\n")
    return xml, files


def write_zip(path: Path, members: dict[str, str]) -> None:
    """A ZIP whose bytes depend only on its contents (sorted names, fixed dates)."""
    from .io import write_bytes
    from io import BytesIO

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

    xsd = resources.files("compendium.schemas").joinpath(schema).read_bytes()
    checker = etree.XMLSchema(etree.fromstring(xsd))
    doc = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    if not checker.validate(doc):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in checker.error_log)
        raise QdaError(f"not valid against {schema}: {problems}")


# --------------------------------------------------------------------------- import


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el, name: str):
    return [c for c in el if isinstance(c.tag, str) and _local(c.tag) == name]


def _slug(text: str, taken: set[str], lower: bool = True) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+" if not lower else r"[^A-Za-z0-9]+", "_", text).strip("_") or "item"
    base = base.lower() if lower else base
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


@dataclass
class Imported:
    codebook: list[dict] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # id -> file text
    codings: dict[str, list[dict]] = field(default_factory=dict)  # coder -> rows


def _read_codes(root, label: str) -> tuple[list[dict], dict[str, str]]:
    """Themes with their codes, and code GUID -> code id. Nested codes keep their
    parent as theme; top-level codes that are not nested take a code set (ATLAS.ti's
    code groups) as theme when they belong to one, else the theme 'ungrouped'."""
    codebooks = [e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) in ("CodeBook",)]
    holder = codebooks[0] if codebooks and _local(root.tag) != "CodeBook" else root
    codes_el = _children(holder, "Codes")
    if not codes_el:
        raise QdaError(f"{label}: no <Codes> element in the codebook")
    taken: set[str] = set()
    themes: dict[str, dict] = {}
    by_guid: dict[str, str] = {}
    set_of: dict[str, str] = {}
    for sets in root.iter():
        if isinstance(sets.tag, str) and _local(sets.tag) == "Set":
            for member in _children(sets, "MemberCode"):
                set_of.setdefault(member.get("guid") or member.get("targetGUID"), sets.get("name", "set"))

    def description(el) -> tuple[str, str | None]:
        d = _children(el, "Description")
        return _split_id(d[0].text or "") if d else ("", None)

    def claim(name: str, ident: str | None) -> str:
        if ident and ident not in taken:
            taken.add(ident)
            return ident
        return _slug(name, taken)

    def theme(name: str, el=None) -> dict:
        if name not in themes:
            desc, ident = description(el) if el is not None else ("", None)
            themes[name] = {"id": claim(name, ident), "label": name, "codes": []}
            if desc and desc != "Theme.":
                themes[name]["description"] = desc
        return themes[name]

    def add_code(el, parent: str) -> None:
        name = el.get("name") or "unnamed"
        desc, ident = description(el)
        ident = claim(name, ident)
        by_guid[el.get("guid", "").upper()] = ident
        theme(parent)["codes"].append({"id": ident, "label": name,
                                       "definition": desc or "(no definition in the imported codebook)"})
        for child in _children(el, "Code"):
            add_code(child, parent)

    for top in _children(codes_el[0], "Code"):
        kids = _children(top, "Code")
        if kids:
            t = theme(top.get("name") or "theme", top)
            by_guid[top.get("guid", "").upper()] = t["id"]
            if top.get("isCodable", "true") == "true":  # a parent that is itself applied: keep it as a code
                general = {"id": _slug(t["id"] + "_general", taken), "label": (top.get("name") or "") + " (general)",
                           "definition": description(top)[0] or "(no definition in the imported codebook)"}
                t["codes"].append(general)
                by_guid[top.get("guid", "").upper()] = general["id"]
            for child in kids:
                add_code(child, top.get("name") or "theme")
        else:
            add_code(top, set_of.get(top.get("guid"), set_of.get((top.get("guid") or "").upper(), "ungrouped")))
    return [t for t in themes.values() if t["codes"]], by_guid


def _units(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (start, end) of a plain text, in code points of the text as stored."""
    spans = []
    for m in re.finditer(r"[^\r\n](?:.|\r?\n(?![ \t]*\r?\n))*", text):
        chunk = m.group()
        if chunk.strip():
            spans.append((m.start(), m.end()))
    return spans


def _front_matter(ident: str, description: str, body_units: list[str]) -> tuple[str, str]:
    meta = dict(part.split(": ", 1) for part in description.split("; ") if ": " in part)
    speakers = [m.group(1) for u in body_units if (m := _TURN.match(u))]
    spoken = body_units and len(speakers) == len(body_units)
    kind = meta.get("type") or ("interview" if spoken else "document")
    if kind not in ("interview", "focus_group", "document") or (kind != "document" and not spoken):
        kind = "document" if not spoken else kind
    facilitators = [x for x in meta.get("facilitators", "").split(", ") if x]
    participants = [x for x in meta.get("participants", "").split(", ") if x]
    if kind != "document" and not participants:
        participants = sorted(set(speakers) - set(facilitators))
    date = meta.get("date", "")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        date = "1970-01-01"
    head = ["---", f"id: {ident}", f"type: {kind}", f"date: {date}", f"participants: [{', '.join(participants)}]"]
    if kind == "document":
        head.append(f"genre: {meta.get('genre', 'imported')}")
    else:
        head.append(f"facilitators: [{', '.join(facilitators)}]")
    head.append("---")
    return kind, "\n".join(head)


def read_qdpx(path: str | Path) -> Imported:
    """Read a ``.qdpx`` project (or a ``.qdc`` codebook, which gives codes only)."""
    from lxml import etree

    path = Path(path)
    label = path.name
    try:
        if path.suffix.lower() == ".qdc":
            root = etree.fromstring(path.read_bytes())
            themes, _ = _read_codes(root, label)
            return Imported(codebook=themes)
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}
            qde = next((n for low, n in names.items() if low.endswith(".qde")), None)
            if qde is None:
                raise QdaError(f"{label}: no project.qde inside the archive")
            root = etree.fromstring(zf.read(qde))
            files = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError) as exc:
        raise QdaError(f"{label}: not a readable REFI-QDA file ({exc})") from None

    users = {u.get("guid", "").upper(): u.get("name") or u.get("id") or u.get("guid")
             for u in root.iter() if isinstance(u.tag, str) and _local(u.tag) == "User"}
    themes, by_guid = _read_codes(root, label)
    out = Imported(codebook=themes)
    taken: set[str] = set()
    coder_names: dict[str, str] = {}
    for src in (e for e in root.iter() if isinstance(e.tag, str) and _local(e.tag) == "TextSource"):
        name = src.get("name") or src.get("guid")
        content = _children(src, "PlainTextContent")
        if content:
            text = content[0].text or ""
        else:
            ref = (src.get("plainTextPath") or "").replace("internal://", "sources/")
            member = next((n for n in files if n.lower() == ref.lower()), None)
            if member is None:
                raise QdaError(f"{label}: TextSource {name!r} refers to {src.get('plainTextPath')!r}, "
                               "which the archive does not hold")
            text = files[member].decode("utf-8-sig")
        spans = _units(text)
        body_units = [text[a:b] for a, b in spans]
        ident = _slug(Path(name).stem if Path(name).suffix.lower() in (".txt", ".docx", ".pdf", ".rtf") else name,
                      taken, lower=False)
        desc = _children(src, "Description")
        kind, head = _front_matter(ident, (desc[0].text or "") if desc else "", body_units)
        body = "\n\n".join(" ".join(u.split()) for u in body_units)
        out.sources[ident] = f"{head}\n\n{body}\n"
        for sel in _children(src, "PlainTextSelection"):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            hit = [i + 1 for i, (a, b) in enumerate(spans) if a < max(end, start + 1) and b > start]
            for coding in _children(sel, "Coding"):
                who = (coding.get("creatingUser") or sel.get("creatingUser") or "").upper()
                raw_name = users.get(who, who or "unknown")
                coder = coder_names.setdefault(raw_name, _slug(raw_name, set(coder_names.values())))
                refs = _children(coding, "CodeRef")
                code = by_guid.get((refs[0].get("targetGUID") or "").upper()) if refs else None
                if code is None:
                    raise QdaError(f"{label}: a Coding in {name!r} refers to a code that is not in the codebook")
                out.codings.setdefault(coder, []).extend(
                    {"source_id": ident, "unit": u, "code": code} for u in hit)
    return out


def write_contract(imported: Imported, out_dir: str | Path) -> Path:
    """Write the imported project as the contract's ``sources/``, ``codebook.yaml``
    and ``coding/<coder>.csv``."""
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "codebook.yaml").write_text(
        yaml.safe_dump({"themes": imported.codebook}, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    if imported.sources:
        (out / "sources").mkdir(exist_ok=True)
        for ident, text in imported.sources.items():
            (out / "sources" / f"{ident}.md").write_text(text, encoding="utf-8")
    if imported.codings:
        (out / "coding").mkdir(exist_ok=True)
        for coder, rows in imported.codings.items():
            frame = pd.DataFrame(rows, columns=["source_id", "unit", "code"]).drop_duplicates()
            frame = frame.sort_values(["source_id", "unit", "code"], kind="stable")
            (out / "coding" / f"{coder}.csv").write_text(frame.to_csv(index=False, lineterminator="\n"),
                                                        encoding="utf-8")
    return out
