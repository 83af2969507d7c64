"""De-identification of transcripts and documents, fully offline.

Finds, in this order of precedence where matches overlap: e-mail addresses, web
addresses, social-media handles, phone numbers (national and international
formats), institutions (a configurable list plus names ending in Hospital, Clinic,
College, School of Medicine and the like), and people's names (a title such as Dr,
Prof, Mr, Ms or Nurse before capitalised words; a first name from the lexicon shipped
with the package, with the capitalised surname that follows it; a surname from the
lexicon; and any names listed in params.yaml). Each is replaced by a bracketed
pseudonym: ``[Person 3]``, ``[Institution 1]``, ``[Email]``, ``[Phone]``, ``[URL]``,
``[Handle]``. The same person or institution gets the same number in every source.

The replacement log (original to pseudonym) is personal data: it is written only
under the git-ignored ``data/private/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

KINDS = ("email", "url", "handle", "phone", "institution", "person")
_PRIORITY = {k: i for i, k in enumerate(KINDS)}

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:org|com|net|edu|gov|io|info|pk|uk|ac\.uk|edu\.pk)/[^\s<>\"']*",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_]{2,30}\b")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]?\d{2,5}){1,3}(?![\w])"
)
TITLES = r"(?:Dr|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Nurse|Sister|Matron|Dean|Sr)\.?"
NAME_WORD = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?"
TITLED = re.compile(rf"\b{TITLES}\s+{NAME_WORD}(?:\s+{NAME_WORD})?\b")
INSTITUTION_WORDS = (
    r"Hospital|Clinic|Infirmary|Medical College|College|University|University Hospital|School of Medicine|"
    r"Medical School|Health Centre|Health Center|Medical Centre|Medical Center|Institute|Trust"
)
INSTITUTION = re.compile(
    rf"\b(?:[A-Z][\w'’-]*\s+){{1,4}}(?:{INSTITUTION_WORDS})\b|\bUniversity of (?:[A-Z][\w'’-]*\s?){{1,3}}"
)
LEADING_WORDS = {"The", "A", "An", "Our", "My", "Their", "His", "Her", "This", "That", "Every", "At", "In",
                 "From", "To", "Of", "And", "We", "Its", "Your", "At", "With", "Some"}
_PLACEHOLDER = re.compile(r"\[(?:Person|Institution) \d+\]|\[(?:Email|Phone|URL|Handle)\]")


def _lexicon(name: str) -> frozenset[str]:
    text = resources.files("compendium.lexicon").joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@dataclass
class Span:
    start: int
    end: int
    kind: str
    text: str


@dataclass
class Deidentifier:
    """Finds identifiers and assigns consistent pseudonyms across calls."""

    institutions: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    first_names: frozenset[str] = field(default_factory=lambda: _lexicon("first_names.txt"))
    surnames: frozenset[str] = field(default_factory=lambda: _lexicon("surnames.txt"))
    _numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._first_surname = re.compile(
            rf"\b(?:{'|'.join(sorted(map(re.escape, self.first_names), key=len, reverse=True))})"
            rf"(?:\s+{NAME_WORD})?\b"
        ) if self.first_names else None
        self._surname = re.compile(
            rf"\b(?:{'|'.join(sorted(map(re.escape, self.surnames), key=len, reverse=True))})\b"
        ) if self.surnames else None
        listed = [n for n in self.names if n.strip()]
        self._listed = re.compile(
            r"\b(?:" + "|".join(sorted(map(re.escape, listed), key=len, reverse=True)) + r")\b"
        ) if listed else None
        inst = [n for n in self.institutions if n.strip()]
        self._listed_inst = re.compile(
            r"(?:" + "|".join(sorted(map(re.escape, inst), key=len, reverse=True)) + r")", re.IGNORECASE
        ) if inst else None

    # ------------------------------------------------------------------ finding

    def find(self, text: str) -> list[Span]:
        """Every identifier in ``text``, overlaps resolved (earliest, then the more
        specific kind, then the longest)."""
        found: list[Span] = []

        def add(kind: str, start: int, end: int) -> None:
            while end > start and text[end - 1] in ".,;:!?)]'\"’":
                end -= 1
            if end > start and not _PLACEHOLDER.fullmatch(text[start:end]):
                found.append(Span(start, end, kind, text[start:end]))

        for m in EMAIL.finditer(text):
            add("email", *m.span())
        for m in URL.finditer(text):
            add("url", *m.span())
        for m in HANDLE.finditer(text):
            add("handle", *m.span())
        for m in PHONE.finditer(text):
            if sum(ch.isdigit() for ch in m.group()) >= 9:
                add("phone", *m.span())
        if self._listed_inst:
            for m in self._listed_inst.finditer(text):
                add("institution", *m.span())
        for m in INSTITUTION.finditer(text):
            start, words = m.start(), m.group().split()
            while words and words[0] in LEADING_WORDS:
                start = text.index(words[1], start + len(words[0])) if len(words) > 1 else m.end()
                words = words[1:]
            if len(words) >= 2:
                add("institution", start, m.end())
        for m in TITLED.finditer(text):
            add("person", *m.span())
        for pattern in (self._listed, self._first_surname, self._surname):
            if pattern is not None:
                for m in pattern.finditer(text):
                    add("person", *m.span())
        found.sort(key=lambda s: (s.start, _PRIORITY[s.kind], -(s.end - s.start)))
        kept: list[Span] = []
        for span in found:
            if kept and span.start < kept[-1].end:
                last = kept[-1]
                # a longer match of the same start (or a containing one) wins
                if span.start == last.start and span.end > last.end and _PRIORITY[span.kind] >= _PRIORITY[last.kind]:
                    kept[-1] = Span(last.start, span.end, last.kind if last.kind != "person" else span.kind,
                                    text[last.start:span.end])
                continue
            kept.append(span)
        return kept

    # ------------------------------------------------------------------ replacing

    def _key(self, span: Span) -> tuple[str, str]:
        text = span.text
        if span.kind == "person":
            text = re.sub(rf"^{TITLES}\s+", "", text)
        return span.kind, " ".join(text.lower().split())

    def pseudonym(self, span: Span) -> str:
        if span.kind in ("person", "institution"):
            key = self._key(span)
            if key not in self._numbers:
                self._numbers[key] = 1 + sum(1 for k in self._numbers if k[0] == span.kind)
            return f"[{span.kind.title()} {self._numbers[key]}]"
        return {"email": "[Email]", "url": "[URL]", "handle": "[Handle]", "phone": "[Phone]"}[span.kind]

    def redact(self, text: str) -> tuple[str, list[tuple[Span, str]]]:
        spans = self.find(text)
        replaced = [(s, self.pseudonym(s)) for s in spans]
        out = text
        for span, pseudo in reversed(replaced):
            out = out[: span.start] + pseudo + out[span.end:]
        return out, replaced


def deidentify_units(units: pd.DataFrame, deid: Deidentifier) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Redact the ``text`` of every unit, in source and unit order (so pseudonym numbers
    are deterministic). Returns the redacted units and the replacement log."""
    ordered = units.sort_values(["source_id", "unit"], kind="stable").reset_index(drop=True)
    texts, log = [], []
    from .feedback import progress

    rows = zip(ordered["source_id"], ordered["unit"], ordered["text"])
    for source_id, unit, text in progress(rows, "de-identifying units", total=len(ordered)):
        redacted, replaced = deid.redact(text)
        texts.append(redacted)
        log.extend({"source_id": source_id, "unit": int(unit), "kind": s.kind, "original": s.text,
                    "pseudonym": p, "start": s.start, "end": s.end} for s, p in replaced)
    out = ordered.assign(text=texts)
    return out, pd.DataFrame(log, columns=["source_id", "unit", "kind", "original", "pseudonym", "start", "end"])


def summary(log: pd.DataFrame) -> pd.DataFrame:
    """Replacements per kind (counts only: nothing identifying)."""
    counts = log.groupby("kind").agg(replacements=("original", "size"), distinct=("original", "nunique"))
    return counts.reindex(list(KINDS), fill_value=0).reset_index()


def score(log: pd.DataFrame, planted: pd.DataFrame, units: pd.DataFrame) -> dict:
    """Recall and precision against the identifiers a generator planted.

    A planted identifier counts as found when no unit it was planted in still
    contains it after redaction; a replacement counts as correct when it overlaps a
    planted identifier of that unit (its original contains, or is contained in, one).
    """
    kept = units.assign(unit=units["unit"].astype(int)).set_index(["source_id", "unit"])["text"]
    planted = planted.assign(unit=planted["unit"].astype(int))
    log = log.assign(unit=log["unit"].astype(int))
    planted = planted[[(s, u) in kept.index for s, u in zip(planted["source_id"], planted["unit"])]]
    missed = [t for s, u, t in zip(planted["source_id"], planted["unit"], planted["text"]) if t in kept.loc[(s, u)]]
    truth = planted.groupby(["source_id", "unit"])["text"].apply(list).to_dict()
    correct = sum(
        any(o in t or t in o for t in truth.get((s, u), []))
        for s, u, o in zip(log["source_id"], log["unit"], log["original"])
    )
    n_planted, n_log = len(planted), len(log)
    return {
        "planted": n_planted,
        "missed": len(missed),
        "recall": (n_planted - len(missed)) / n_planted if n_planted else float("nan"),
        "replacements": n_log,
        "false_positives": n_log - correct,
        "precision": correct / n_log if n_log else float("nan"),
    }
