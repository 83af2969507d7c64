"""Leak audit: nothing identifying may reach ``reports/``.

Every file under ``reports/`` is turned into searchable text (notebooks through their
JSON, DOCX/QDPX/ZIP archives member by member with XML tags removed, PDF through
its text layer) and searched for:

- every original string that de-identification replaced (the private log);
- the names and institutions configured in ``params.yaml``;
- the identifiers a synthetic-data generator planted, when their list is given;
- the ids of learners who withdrew consent;
- anything shaped like an e-mail address or a phone number.

A hit fails the stage. The report names the file and the kind of hit, never the
identifier itself, so that the log of a failed run leaks nothing either.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pandas as pd

from . import paths

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Shapes of phone numbers: an international prefix, an area code in brackets, a national
# trunk 0, or dash-separated groups. Bare space-separated groups ("10200 10200") are the
# neighbouring cells of a table as a PDF's text layer gives them, not phone numbers.
PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[ -]?(?:\(\d{1,5}\)[ -]?)?\d{1,5}(?:[ -]\d{2,5}){1,4}"
    r"|\(\d{2,5}\)[ -]?\d{3,5}[ -]?\d{3,5}"
    r"|0\d{2,4}[ -]\d{3,8}(?:[ -]\d{3,5})?"
    r"|\d{3,5}-\d{3,5}(?:-\d{3,5})?)(?![\w.])"
)
TAG = re.compile(r"<[^>]+>")
ARCHIVES = {".docx", ".qdpx", ".zip", ".xlsx", ".odt"}
IMAGES = {".png", ".jpg", ".jpeg", ".gif"}


class LeakFound(RuntimeError):
    """An artifact under ``reports/`` contains something identifying."""


def needles(log: pd.DataFrame | None, withdrawn: dict | None, configured: list[str],
            planted: pd.DataFrame | None) -> dict[str, set[str]]:
    """The strings to look for, by kind."""
    out: dict[str, set[str]] = {"replaced": set(), "configured": set(), "planted": set(), "withdrawn": set()}
    if log is not None and len(log):
        out["replaced"] = {s for s in log["original"] if len(s.strip()) >= 3}
    out["configured"] = {s for s in configured if len(s.strip()) >= 3}
    if planted is not None and len(planted):
        out["planted"] = {s for s in planted["text"] if len(s.strip()) >= 3}
    if withdrawn:
        out["withdrawn"] = set(withdrawn.get("withdrawn", []))
    return out


def _xml_text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    # DOCX splits a sentence over runs: join the runs of a paragraph before removing tags
    text = re.sub(r"</w:t>\s*</w:r>\s*<w:r[^>]*>(?:\s*<w:rPr>.*?</w:rPr>)?\s*<w:t[^>]*>", "", text, flags=re.S)
    return html.unescape(TAG.sub(" ", text))


def text_of(path: Path) -> str | None:
    """Searchable text of one artifact; ``None`` for an image (no text to search)."""
    suffix = path.suffix.lower()
    if suffix in IMAGES:
        return None
    if suffix in ARCHIVES:
        parts = []
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                data = zf.read(name)
                parts.append(_xml_text(data) if name.endswith((".xml", ".qde", ".rels")) else
                             data.decode("utf-8", errors="replace"))
        return "\n".join(parts)
    if suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    raw = path.read_text(encoding="utf-8", errors="replace")
    if suffix == ".ipynb":
        nb = json.loads(raw)
        chunks = []
        for cell in nb.get("cells", []):
            chunks.append("".join(cell.get("source", [])))
            for output in cell.get("outputs", []):
                chunks.append("".join(output.get("text", [])))
                for value in output.get("data", {}).values():
                    chunks.append("".join(value) if isinstance(value, list) else str(value))
        return html.unescape("\n".join(chunks))
    if suffix == ".svg":  # labels are <text> elements; path data is left out
        return html.unescape(TAG.sub(" ", raw))
    if suffix in (".html", ".htm", ".xml"):  # text, and attributes such as mailto: links
        return html.unescape(TAG.sub(" ", raw)) + "\n" + re.sub(r'\sd="[^"]*"', " ", raw)
    return raw


def scan(found: dict[str, set[str]], folder: Path | None = None) -> dict:
    """Search every file under ``folder`` (default ``reports/``)."""
    folder = folder or paths.reports_dir()
    patterns = {kind: re.compile(r"(?<![\w@])(?:" + "|".join(sorted(map(re.escape, values), key=len, reverse=True))
                                 + r")(?![\w])") for kind, values in found.items() if values}
    hits, scanned, skipped = [], 0, 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = text_of(path)
        if text is None:
            skipped += 1
            continue
        scanned += 1
        rel = paths.relative(path)
        for kind, pattern in patterns.items():
            n = len(pattern.findall(text))
            if n:
                hits.append({"file": rel, "kind": kind, "count": n})
        for kind, pattern in (("email-like", EMAIL), ("phone-like", PHONE)):
            n = sum(1 for m in pattern.finditer(text) if sum(ch.isdigit() for ch in m.group()) >= 9
                    or kind == "email-like")
            if n:
                hits.append({"file": rel, "kind": kind, "count": n})
    summary = {"files_scanned": scanned, "images_skipped": skipped,
               "identifiers_searched": {k: len(v) for k, v in found.items()}, "hits": len(hits)}
    return {"summary": summary, "hits": hits}


def raise_on_leaks(report: dict) -> None:
    if report["hits"]:
        lines = "\n".join(f"  - {h['file']}: {h['count']} {h['kind']} match(es)" for h in report["hits"])
        raise LeakFound(f"the leak audit found identifying text under reports/:\n{lines}")
