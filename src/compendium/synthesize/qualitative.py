"""Synthetic interviews, focus groups and documents, their coding and the truth."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import design
from . import textbank as tb

_SLOT = re.compile(r"\{(person|first|inst|email|phone|url|handle)\}")


@dataclass
class Qualitative:
    sources: dict[str, str]  # source id -> file text
    codings: dict[str, pd.DataFrame]  # coder -> coding rows
    planted: pd.DataFrame
    true_codes: pd.DataFrame


@dataclass
class _Source:
    ident: str
    kind: str
    date: str
    participants: list[str]
    facilitators: list[str] = field(default_factory=list)
    genre: str | None = None
    platform: str | None = None
    units: list[tuple[str | None, str | None, list[str]]] = field(default_factory=list)  # speaker, text, codes
    # unit number -> (its sentences, how many sentences the earlier generator wrote there)
    said: dict[int, tuple[list[str], int]] = field(default_factory=dict)


class _Writer:
    """Fills templates, remembering every personal detail it plants."""

    def __init__(self, rng: np.random.Generator, scale: int) -> None:
        self.rng = rng
        names = [(f, s) for f in tb.FIRST_NAMES for s in tb.SURNAMES]
        picks = rng.choice(len(names), size=min(len(names), 30 + 10 * scale), replace=False)
        self.people = [(str(rng.choice(tb.TITLES)), *names[i]) for i in picks]
        self.planted: list[dict] = []
        self.fillers = 0
        self.pii_uses: dict[str, int] = {}
        self.code_uses: dict[tuple, int] = {}  # what was written for a code, by voice and slots

    def filler(self) -> str:
        """The next filler sentence: never one written before in this data set."""
        self.fillers += 1
        return tb.filler(self.fillers - 1)

    def pii(self, template: str) -> str:
        """The next wording of a PII sentence: never one written before in this data set."""
        n = self.pii_uses.get(template, 0)
        self.pii_uses[template] = n + 1
        return tb.pii_sentence(template, n)

    def about(self, code: str, voice: str, slots: tuple[str, ...]) -> str:
        """The next sentence written for ``code`` in ``voice`` with these identifier
        slots: never one written before in this data set."""
        key = ("code", code, voice, slots)
        n = self.code_uses.get(key, 0)
        self.code_uses[key] = n + 1
        return tb.code_sentence(code, voice, slots, n)

    def pii_about(self, code: str, template: str) -> str:
        """The next wording of the PII sentence ``template`` that speaks of ``code``."""
        key = ("pii", code, template)
        n = self.code_uses.get(key, 0)
        self.code_uses[key] = n + 1
        return tb.pii_on_topic(template, code, n)

    def person(self) -> tuple[str, str, str]:
        return self.people[int(self.rng.integers(len(self.people)))]

    def fill(self, template: str, source: str, unit: int) -> str:
        title, first, last = self.person()

        def repl(m: re.Match) -> str:
            kind = m.group(1)
            rng = self.rng
            if kind == "person":
                value = f"{title} {first} {last}"
            elif kind == "first":
                value = first
            elif kind == "inst":
                value = str(rng.choice(tb.INSTITUTIONS))
            elif kind == "email":
                value = f"{first.lower()}.{last.lower()}@{rng.choice(tb.EMAIL_DOMAINS)}"
            elif kind == "phone":
                fmt = str(rng.choice(tb.PHONE_FORMATS))
                value = fmt.format(
                    a=int(rng.integers(0, 50)), b=int(rng.integers(200, 1000)), c=int(rng.integers(0, 10000))
                )
            elif kind == "url":
                value = "https://" + str(rng.choice(tb.URL_STEMS))
            else:
                value = str(rng.choice(tb.HANDLES))
            self.planted.append({"source_id": source, "unit": unit, "kind": kind, "text": value})
            return value

        return _SLOT.sub(repl, template)


def _choose_codes(rng: np.random.Generator, profile: dict | None) -> list[str]:
    weights = np.ones(len(tb.CODES))
    if profile is not None:
        boost = {
            "leadership_development": 3.0 if profile["leadership_role"] else 0.3,
            "mentorship_support_needs": 0.6 if profile["perceived_support"] else 2.5,
            "curriculum_advocacy": 1.8 if profile["active_participation"] else 0.7,
            "petitions_town_halls": 1.5 if profile["active_participation"] else 0.7,
            "personal_discrimination": 1.6 if profile["ethnicity"] != "White" else 0.8,
        }
        for code, factor in boost.items():
            weights[tb.CODES.index(code)] *= factor
    k = int(rng.choice([0, 1, 2, 3], p=[0.1, 0.5, 0.3, 0.1]))
    if k == 0:
        return []
    return sorted(rng.choice(tb.CODES, size=k, replace=False, p=weights / weights.sum()).tolist())


def _utterance(
    rng: np.random.Generator,
    writer: _Writer,
    codes: list[str],
    source: str,
    unit: int,
    pii_rate: float = 0.25,
    voice: str = "said",
) -> tuple[list[str], int]:
    """The sentences of one unit, and how many the earlier generator wrote there.

    A unit that carries codes is made only of sentences written for its codes (one per
    code, in ``voice``: ``said`` for a learner talking, ``written`` for a document),
    and a planted identifier sits in a sentence about one of them; a unit without codes
    gets a filler sentence. The random draws are those of earlier versions, one for one
    (the sentence drawn from the old bank decides only which identifier slots the new
    sentence carries), so that every coding and planted identifier stays the same."""
    drawn = [str(rng.choice(tb.SENTENCES[c])) for c in codes]
    parts: list[tuple[str, str]] = [(c, d) for c, d in zip(codes, drawn)]  # (code, old sentence)
    if not parts or rng.random() < 0.3:
        at = int(rng.integers(len(parts) + 1))
        rng.choice(tb.FILLERS)  # the draw of earlier versions, kept so that the random stream is unchanged
        parts.insert(at, ("", writer.filler() if not codes else ""))
    if rng.random() < pii_rate:
        at = int(rng.integers(len(parts) + 1))
        template = str(rng.choice(tb.PII_SENTENCES))
        parts.insert(at, ("{pii}", template))
    legacy = len(parts)
    texts: list[str] = []
    for i, (code, old) in enumerate(parts):
        if code == "{pii}":
            near = [c for c, _ in parts[:i][::-1] + parts[i + 1 :] if c not in ("", "{pii}")]
            text = writer.pii_about(near[0], old) if near else writer.pii(old)
        elif code:
            text = writer.about(code, voice, tuple(_SLOT.findall(old)))
        else:
            text = old  # a filler; empty in a coded unit, where only its draws remain
        filled = writer.fill(text, source, unit)  # draws a person even when no slot uses one
        if filled:
            texts.append(filled)
    return texts, legacy


def _date(rng: np.random.Generator) -> str:
    month = int(rng.integers(1, 7))
    day = int(rng.integers(1, 29))
    return f"2024-{month:02d}-{day:02d}"


def _render(s: _Source, rng: np.random.Generator) -> str:
    def ylist(values: list[str]) -> str:
        return "[" + ", ".join(values) + "]"

    head = ["---", f"id: {s.ident}", f"type: {s.kind}", f"date: {s.date}", f"participants: {ylist(s.participants)}"]
    if s.kind != "document":
        head.append(f"facilitators: {ylist(s.facilitators)}")
    else:
        head.append(f"genre: {s.genre}")
        if s.platform:
            head.append(f"platform: {s.platform}")
    head.append("---")
    body: list[str] = []
    for number, (speaker, text, _) in enumerate(s.units, start=1):
        if speaker is None:
            body.extend(["", text or ""])  # every text is filled in by now
            continue
        sentences, legacy = s.said.get(number, ([text or ""], len((text or "").split(". "))))
        # a turn that runs over two lines (drawn as the earlier generator drew it)
        if legacy > 2 and rng.random() < 0.2 and len(sentences) > 1:
            cut = len(sentences) // 2
            body.append(f"{speaker}: " + " ".join(sentences[:cut]))
            body.append(" ".join(sentences[cut:]))
        else:
            body.append(f"{speaker}: {text}")
    if s.kind != "document":
        body.insert(0, "")
    return "\n".join(head + body) + "\n"


def _coder_view(rng: np.random.Generator, truth: list[str], codable: bool) -> list[str]:
    """What one coder applies to a unit whose true codes are ``truth``; a unit that
    carries no content (a question, a document's frame) is left alone."""
    coded: set[str] = set()
    if not codable:
        return []
    for code in truth:
        miss, _ = tb.CODER_ERRORS[code]
        if rng.random() >= miss:
            coded.add(code)
        elif code in tb.CONFUSABLE and rng.random() < 0.5:
            coded.add(tb.CONFUSABLE[code])
    for code in tb.CODES:
        if code not in truth and rng.random() < tb.CODER_ERRORS[code][1]:
            coded.add(code)
    return sorted(coded)


def build_sources(rng: np.random.Generator, learners: pd.DataFrame, *, scale: int) -> Qualitative:
    writer = _Writer(rng, scale)
    profiles = learners.set_index("participant_id").to_dict(orient="index")
    given = learners.loc[learners["consent"] == "given", "participant_id"].to_numpy()
    gone = learners.loc[learners["consent"] == "withdrawn", "participant_id"].to_numpy()
    pool = list(rng.permutation(given))
    interviewers, moderators = ["F01", "F02", "F03"], ["M01", "M02"]
    srcs: list[_Source] = []

    n_int = design.INTERVIEWS * scale
    for i in range(n_int):
        # In each block of 24 interviews, one interviewee later withdraws consent.
        pid = str(gone[(i // design.INTERVIEWS) % len(gone)]) if i % design.INTERVIEWS == 5 else str(pool.pop())
        s = _Source(f"INT-{i + 1:03d}", "interview", _date(rng), [pid], [str(rng.choice(interviewers))])
        questions = rng.choice(tb.QUESTIONS, size=int(rng.integers(5, 9)), replace=False)
        for q in questions:
            s.units.append((s.facilitators[0], str(q), []))
            codes = _choose_codes(rng, profiles[pid])
            s.units.append((pid, None, codes))
        srcs.append(s)

    for g in range(design.FOCUS_GROUPS * scale):
        members = [str(pool.pop()) for _ in range(design.FOCUS_GROUP_SIZE)]
        if g % design.FOCUS_GROUPS == 1:  # one member of this group withdraws consent
            members[-1] = str(gone[(g // design.FOCUS_GROUPS + 1) % len(gone)])
        s = _Source(f"FG-{g + 1:02d}", "focus_group", _date(rng), sorted(members), [str(rng.choice(moderators))])
        for prompt in tb.GROUP_PROMPTS:
            s.units.append((s.facilitators[0], prompt, []))
            for speaker in rng.choice(members, size=int(rng.integers(3, 6)), replace=False):
                s.units.append((str(speaker), None, _choose_codes(rng, profiles[str(speaker)])))
        srcs.append(s)

    genres = design.DOCUMENT_GENRES
    for d in range(design.DOCUMENTS * scale):
        genre = genres[d % len(genres)]
        if genre == "committee_minutes":
            authors: list[str] = []
        elif d % design.DOCUMENTS == 9:  # a post by a learner who withdraws consent
            authors = [str(gone[(d // design.DOCUMENTS + 2) % len(gone)])]
        else:
            authors = sorted(str(a) for a in rng.choice(given, size=2 if genre == "petition" else 1, replace=False))
        platforms = tb.PLATFORMS.get(genre)
        s = _Source(
            f"DOC-{d + 1:03d}",
            "document",
            _date(rng),
            authors,
            genre=genre,
            platform=str(rng.choice(platforms)) if platforms else None,
        )
        frames = tb.DOCUMENT_FRAMES[genre]
        title, framing = frames[(d // len(genres)) % len(frames)]
        s.units.append((None, f"{title}: {framing[0]}", []))
        profile = profiles[authors[0]] if authors else None
        for _ in range(int(rng.integers(2, 5))):
            s.units.append((None, None, _choose_codes(rng, profile) or [str(rng.choice(tb.CODES))]))
        s.units.append((None, framing[1], []))
        srcs.append(s)

    texts: dict[str, str] = {}
    truth_rows: list[dict] = []
    coded: dict[str, list[dict]] = {"coder_a": [], "coder_b": []}
    second = set(rng.choice([s.ident for s in srcs], size=int(round(0.6 * len(srcs))), replace=False).tolist())
    for s in srcs:
        filled = []
        for number, (speaker, text, codes) in enumerate(s.units, start=1):
            codable = text is None
            if codable:
                pii_rate = 0.6 if s.kind == "document" else 0.25
                voice = "written" if s.kind == "document" else "said"
                sentences, legacy = _utterance(rng, writer, codes, s.ident, number, pii_rate, voice)
                text = " ".join(sentences)
                s.said[number] = (sentences, legacy)
            filled.append((speaker, text, codes))
            for c in codes:
                truth_rows.append({"source_id": s.ident, "unit": number, "code": c})
            for coder in coded:
                if coder == "coder_a" or s.ident in second:
                    coded[coder].extend(
                        {"source_id": s.ident, "unit": number, "code": c} for c in _coder_view(rng, codes, codable)
                    )
        s.units = filled
        texts[s.ident] = _render(s, rng)

    def frame(rows: list[dict]) -> pd.DataFrame:
        f = pd.DataFrame(rows, columns=["source_id", "unit", "code"])
        return f.sort_values(["source_id", "unit", "code"], kind="stable").reset_index(drop=True)

    codings = {coder: frame(rows) for coder, rows in coded.items()}
    codings["consensus"] = frame(truth_rows)
    planted = pd.DataFrame(writer.planted, columns=["source_id", "unit", "kind", "text"])
    return Qualitative(texts, codings, planted, frame(truth_rows))
