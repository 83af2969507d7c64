"""Leak audit: nothing identifying may reach ``reports/``.

The audit does not trust de-identification: it reads neither its log nor its
detection code (:mod:`compendium.qualitative.deidentify`). It finds identifiers by its own means,
from the raw data (which the pipeline can read) and a dictionary of its own:

1. **Raw identifiers, searched everywhere.** From the raw source texts (every source,
   withdrawn learners' included) it collects the person-, place- or ID-like tokens by
   its own rule: a token written with a capital somewhere in the raw text, never
   written in lower case in running text, that is neither an ordinary lower-case word
   of its dictionary (below) nor public (the allowlist below), nor a day, month,
   honorific, short acronym or language name; with the web addresses, e-mail
   addresses and handles of the raw text. Every file under ``reports/`` is searched
   for them, case-insensitively (so an all-caps or lower-cased name is found too).
2. **Unknown words in data-derived text.** A passage of a report is data-derived when
   it, or the passage beside it, shares a run of five words with the raw text (a
   quote, a source text inside the QDPX, a notebook's output, a quote block of the
   manuscript). There, any capitalised token that is not a placeholder such as
   ``[Person 3]``, not a dictionary word and not public is flagged, so a name planted
   straight into a published quote, never present in the raw data, fails the run;
   so are shapes of web addresses, handles, dates (full, or a day and a month) and ID
   numbers. Authors' names are public in a byline or reference list, not in a quote.
3. **Shapes and lists everywhere**: e-mail addresses and phone numbers; the ids of
   learners who withdrew and the sentences only they said or wrote; the names and
   places of ``dataset.yaml`` (``deidentify.names`` / ``places``) and ``params.yaml``;
   the identifiers a synthetic-data generator planted, when their list is given.

**Dictionary.** Webster's Second International (1934, public domain) as packaged by
``english-words`` (``web2``), keeping only the entries that the dictionary itself
writes in lower case: its capitalised entries (given names, surnames, towns) are proper nouns
and are left out, so a name is not an ordinary word merely because it is frequent.
Inflections and British spellings are reduced by rule (:func:`word_forms`); the few
ordinary words the packaged list lacks (irregular forms, words after 1934) are the
audit's own list, :data:`WEB2_GAPS`. This source and this rule are independent of the
de-identifier's lexicons.

**Allowlist (public text).** Words of the text the project's authors wrote and of
public reference text: ``manuscript/`` (templates, CSL, ``references.bib``),
``data/reference/published.yaml``, ``CITATION.cff``, the string
literals of the package's source (the synthetic-data generator and the
de-identifier excepted), the codebook (ids, labels, definitions), the column names
and categorical values of the raw tables, ``dataset.yaml``'s title, authors,
setting, keywords and ``deidentify.allowed``, and the method eponyms of
:data:`EPONYMS`. Names of people from author lists are public in any passage that is
not data-derived.

A hit fails the stage. The report names the file and the kind of hit, never the
identifier itself, so that the log of a failed run leaks nothing either.

**Files already found clean.** A run remembers which files it found clean, by their
SHA-256, under a fingerprint of everything it searched for (:func:`fingerprint`: the
needles, the dictionary, the audit's own code and the versions of the libraries that
read the files). The next run reads a file again only when the file or the
fingerprint has changed; a withdrawal, a new name to redact or a new raw source
changes the fingerprint, and every file is read again. The memory holds digests only.
"""

from __future__ import annotations

import ast
import calendar
import dataclasses
import hashlib
import html
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from compendium.core import paths

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
_GTLD = r"(?:com|org|net|edu|gov|info|io|me|app|dev|xyz|online|site|health)"
URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:" + _GTLD + r"|(?:ac|co|org|edu|gov|net)\.[a-z]{2})\b"
    r"(?:/[^\s<>\"')\]]*)?",
    re.I,
)
HANDLE = re.compile(r"(?<![\w@./])@[A-Za-z0-9_]{2,}")
_MONTH = "(?:" + "|".join(m for m in calendar.month_name[1:] + calendar.month_abbr[1:]) + r")\.?"
DATE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b|\b(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s+(?:19|20)\d{{2}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b",
    re.I,
)
# a day and a month without a year ("2nd of October", "Oct 2"): an element of a date tied
# to a person, which de-identification removes as it removes full dates
DAY_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH}|Sept\.?)(?![\w])"
    rf"|\b(?:{_MONTH}|Sept\.?)\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\b(?![.,:]?\d)",
    re.I,
)
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
GUID = re.compile(r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b")
ID_NUMBER = re.compile(r"(?<![\w.,])(?:[A-Za-z]{1,4}[-/]?)?\d[\d-]{4,}\d(?![\w.,]\d)")
TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]")
WORDS = re.compile(r"[^\W_]+")
SEGMENT = re.compile(r"\n|\t|\||(?<=[.!?])[\"'”’)]?\s+")
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
TAG = re.compile(r"<[^>]+>")
ARCHIVES = {".docx", ".qdpx", ".zip", ".xlsx", ".odt"}
IMAGES = {".png", ".jpg", ".jpeg", ".gif"}
RUN = 5  # words a passage must share with the raw text to count as data-derived
SENTENCE = 6  # words of a withdrawn learner's sentence, at least, for it to be searched

# Eponyms of the methods the compendium uses and names in its prose (statisticians and
# methodologists): public in any passage that is not data-derived.
EPONYMS = (
    "Benjamini",
    "Bonferroni",
    "Braun",
    "Breslow",
    "Clarke",
    "Cohen",
    "Cronbach",
    "DerSimonian",
    "Feldt",
    "Fisher",
    "Fleiss",
    "Haenszel",
    "Hochberg",
    "Holm",
    "Kendall",
    "Krippendorff",
    "Laird",
    "Likert",
    "Mantel",
    "Newcombe",
    "Pearson",
    "Porter",
    "Shapiro",
    "Spearman",
    "Wald",
    "Welch",
    "Wilk",
    "Wilson",
    "Woolf",
    "Yates",
)
# Well-known public names that are not identifying in a quote (countries and continents
# count as public too, from Babel's locale data, as under HIPAA's Safe Harbor rule, which
# removes geographic units smaller than a state): world religions and their adherents,
# continents' adjectives, and the social platforms learners name. A study adds its own
# under ``deidentify.allowed`` in dataset.yaml.
COMMON_PUBLIC = (
    "Islam",
    "Islamic",
    "Muslim",
    "Christian",
    "Christianity",
    "Catholic",
    "Protestant",
    "Hindu",
    "Hinduism",
    "Sikh",
    "Sikhism",
    "Jewish",
    "Judaism",
    "Buddhist",
    "Buddhism",
    "Ramadan",
    "Eid",
    "Diwali",
    "Christmas",
    "Easter",
    "African",
    "American",
    "Asian",
    "European",
    "Caribbean",
    "Latino",
    "Latina",
    "Latinx",
    "Hispanic",
    "Arab",
    "Arabic",
    "Indigenous",
    "Aboriginal",
    "Maori",
    "Facebook",
    "Instagram",
    "WhatsApp",
    "Twitter",
    "TikTok",
    "YouTube",
    "LinkedIn",
    "Google",
    "Zoom",
    "Reddit",
    "Snapchat",
    "Telegram",
    "Slack",
    "Teams",
)
# Country and language names that are also given names stay suspicious in a quote.
GIVEN_NAMES_TOO = frozenset(
    {
        "jordan",
        "chad",
        "georgia",
        "india",
        "kenya",
        "israel",
        "jersey",
        "victoria",
        "paris",
        "florence",
        "austin",
        "sydney",
        "chelsea",
        "lucia",
        "helena",
        "tamil",
    }
)
HONORIFICS = (
    "dr",
    "mr",
    "mrs",
    "ms",
    "mx",
    "miss",
    "prof",
    "professor",
    "sir",
    "dame",
    "rev",
    "sr",
    "jr",
    "st",
    "mt",
    "nurse",
    "dean",
)
_BRITISH = (
    ("isation", "ization"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ising", "izing"),
    ("our", "or"),
    ("tre", "ter"),
    ("yse", "yze"),
    ("ogue", "og"),
    ("ence", "ense"),
    ("ll", "l"),
)
_SUFFIXES = (
    ("'s", ""),
    ("’s", ""),
    ("'", ""),
    ("s", ""),
    ("es", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ed", ""),
    ("ed", "e"),
    ("d", ""),
    ("ing", ""),
    ("ing", "e"),
    ("ly", ""),
    ("ily", "y"),
    ("er", ""),
    ("er", "e"),
    ("ers", ""),
    ("est", ""),
    ("ness", ""),
    ("ment", ""),
    ("ity", ""),
    ("ist", "ism"),
    ("ists", "ism"),
    ("n", ""),
    ("en", ""),
    ("en", "e"),
)


class LeakFound(RuntimeError):
    """An artifact under ``reports/`` contains something identifying."""


# --------------------------------------------------------------------------- dictionary


# Ordinary lower-case words that the packaged web2 list lacks: irregular forms its entries do
# not reduce to (held, women, feet), a few common words it misses (proud, box, hang) and words
# younger than 1934 (online, email). Found by checking wordfreq's 8000 most frequent English
# words against the dictionary and keeping only the common nouns, verbs and adjectives among
# the misses (the proper nouns, most of them, stay out). Without them, an unseen study whose
# document opened a paragraph with "Proud of my classmates" failed the audit.
WEB2_GAPS = frozenset(
    """
    women gentlemen teenagers held became began paid feet blew earlier earliest largest closest
    proud box boxes hang okay anymore anytime meantime goodbye cooperation worldwide programme mom
    girlfriend boyfriend congrats rankings airline airlines lifestyle healthcare workforce mainstream
    makeup lineup soundtrack artwork cafe fridge cookie vegan lesbian
    online email emails website websites internet app apps blog blogs download laptop desktop
    smartphone podcast timeline database wifi cyber demo bio info stats stat
    gonna wanna gotta kinda lol haha hmm nah yup
    """.split()
)


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """Ordinary English words: the entries of Webster's Second International
    (``english-words``, list ``web2``) that the dictionary writes in lower case, and the
    ordinary words that list lacks (:data:`WEB2_GAPS`, the audit's own list)."""
    from english_words import get_english_words_set

    web2 = frozenset(w for w in get_english_words_set(["web2"], alpha=False, lower=False) if w.islower())
    return web2 | WEB2_GAPS


def word_forms(word: str) -> set[str]:
    """``word`` lower-cased, with inflectional suffixes and British spellings reduced
    by rule (a simple suffix stripper in the manner of Porter, 1980; not a stemmer)."""
    w = word.lower().replace("’", "'")
    out = {w}
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            base = w[: len(w) - len(suffix)] + repl
            out.add(base)
            if repl == "" and len(base) > 3 and base[-1] == base[-2]:
                out.add(base[:-1])
    for form in list(out):
        for british, american in _BRITISH:
            if british in form:
                out.add(form.replace(british, american))
    return out


def is_word(token: str, words: frozenset[str] | None = None) -> bool:
    """Whether ``token`` is an ordinary lower-case word of the dictionary (a hyphenated
    token when each part is)."""
    words = dictionary() if words is None else words
    parts = [p for p in re.split(r"[-‐]", token) if p]
    return bool(parts) and all(any(f in words for f in word_forms(p)) for p in parts)


# --------------------------------------------------------------------------- public text


def _tokens(text: str) -> set[str]:
    return {t.lower().replace("’", "'") for t in TOKEN.findall(text)}


def _strings_of_python(path: Path) -> str:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return ""
    return "\n".join(
        node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _scalars(value) -> Iterable:
    if isinstance(value, dict):
        for v in value.values():
            yield from _scalars(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _scalars(v)
    elif value is not None:
        yield value


@dataclass
class Public:
    """Lower-cased tokens of public text; ``people``: those of authors' names."""

    words: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)  # dataset.yaml's values (a generator's seed)
    citations: set[str] = field(default_factory=set)  # "@key" of each reference (the manuscript cites them so)


def public_text(root: Path, study=None) -> Public:
    """The allowlist: tokens of what the project's authors wrote and of public
    reference text (see the module docstring), and of the study's own labels."""
    import yaml

    pub = Public()
    texts: list[str] = []
    for folder in ("manuscript",):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".j2", ".md", ".bib", ".csl", ".yaml", ".txt", ".html"}:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    for name in ("data/reference/published.yaml", "CITATION.cff"):
        if (root / name).is_file():
            texts.append((root / name).read_text(encoding="utf-8", errors="replace"))
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if rel.startswith("synthesize/") or rel in ("deidentify.py", "audit.py"):
            continue  # the generator writes the names; the de-identifier is not consulted; the
            # audit's own lists are added explicitly below
        texts.append(_strings_of_python(path))
    texts.extend(EPONYMS)
    for path in (root / "manuscript" / "references.bib",):
        if path.is_file():
            bib = path.read_text(encoding="utf-8", errors="replace")
            pub.citations = {f"@{key}" for key in re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", bib, re.M)}
            for field_text in re.findall(
                r"\b(?:author|editor)\s*=\s*[{\"](.*?)[}\"]\s*,?\s*$",
                path.read_text(encoding="utf-8", errors="replace"),
                re.M | re.I,
            ):
                pub.people |= _tokens(field_text)
    if (root / "CITATION.cff").is_file():
        cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8")) or {}
        for part in ("authors", "preferred-citation"):
            for person in _strings(cff.get(part, [])):
                pub.people |= _tokens(person)
    published = root / "data" / "reference" / "published.yaml"
    if published.is_file():
        meta = yaml.safe_load(published.read_text(encoding="utf-8")) or {}
        for key in ("paper", "authors"):
            pub.people |= {t for t in _tokens(" ".join(_strings(meta.get(key, "")))) if not is_word(t)}
    if study is not None:
        texts.extend(_study_labels(study))
        authors = study.dataset.get("authors") or []
        pub.people |= _tokens(" ".join(_strings(authors)))
        pub.literals = {str(v) for v in _scalars(study.dataset)}
    for text in texts:
        pub.words |= _tokens(text)
    pub.words |= pub.people
    pub.words |= {
        m.lower()
        for m in calendar.day_name[:] + calendar.month_name[1:] + calendar.day_abbr[:] + calendar.month_abbr[1:]
    }
    pub.words |= set(HONORIFICS) | _tokens(" ".join(COMMON_PUBLIC)) | _locale_names()
    return pub


def _is_public(token: str, allowed: set[str]) -> bool:
    return any(f in allowed for f in word_forms(token))


def _locale_names() -> set[str]:
    """Names of languages, countries and continents in English (Babel's CLDR data)."""
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel comes with jupyterlab
        return set()
    locale = Locale("en")
    names = [*locale.languages.values(), *locale.territories.values()]
    return {t for name in names for t in _tokens(name)} - GIVEN_NAMES_TOO


def _study_labels(study) -> list[str]:
    """The study's own public labels: codebook, column names, categorical values and
    the descriptive keys of dataset.yaml."""
    out: list[str] = []
    cb = study.codebook
    out.extend(str(c) for c in cb.columns)
    for col in cb.columns:
        out.extend(str(v) for v in cb[col].dropna())
    for frame in (study.participants, study.survey):
        out.extend(str(c) for c in frame.columns)
    for col in study.participants.columns:
        if col not in ("participant_id", "age"):
            out.extend(str(v) for v in study.participants[col].dropna().unique())
    ds = study.dataset or {}
    for key in ("title", "authors", "setting", "keywords"):
        out.extend(_strings(ds.get(key, "")))
    out.extend(_strings((ds.get("deidentify") or {}).get("allowed", [])))
    return [o.replace("_", " ") + " " + o for o in out]


# --------------------------------------------------------------------------- raw text


@dataclass
class Raw:
    """What the audit takes from the raw data."""

    texts: list[str]  # every unit's text, withdrawn learners' included
    kept_texts: list[str]  # the units of learners who consented
    withdrawn_ids: list[str]
    withdrawn_texts: list[str]
    ids: set[str]  # participant, facilitator and source ids (pseudonyms)
    dates: set[str]  # the sources' dates (published as metadata)


def read_raw(raw_dir: Path, study) -> Raw:
    """Every unit of the raw sources; the withdrawn learners' turns and the documents
    they authored apart (``study`` is the validated study, consent applied)."""
    from compendium.data import sources as src

    withdrawn = set(study.withdrawn)
    texts, gone, ids, dates = [], [], set(), set()
    for path in sorted((Path(raw_dir) / "sources").glob("*.md")):
        parsed = src.split_front_matter(path.read_text(encoding="utf-8-sig"))
        meta = parsed.meta
        people = src.as_list(meta.get("participants")) or []
        staff = src.as_list(meta.get("facilitators")) or []
        ids |= {path.stem, *people, *staff}
        dates.add(str(meta.get("date", "")))
        if meta.get("type") in src.SPOKEN_TYPES:
            units, _, _ = src.split_turns(parsed.body, set(people) | set(staff), parsed.body_line)
            for unit in units:
                texts.append(unit.text)
                if unit.speaker in withdrawn:
                    gone.append(unit.text)
        else:
            units = src.split_paragraphs(parsed.body, parsed.body_line)
            texts.extend(u.text for u in units)
            if set(people) & withdrawn:
                gone.extend(u.text for u in units)
    ids |= set(study.participants["participant_id"]) | withdrawn
    return Raw(
        texts=texts,
        kept_texts=list(study.units["text"]),
        withdrawn_ids=sorted(withdrawn),
        withdrawn_texts=gone,
        ids={i for i in ids if i},
        dates={d for d in dates if d},
    )


def _is_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    uppers = sum(c.isupper() for c in letters)
    return (len(letters) <= 5 and uppers == len(letters)) or (uppers >= 2 and not token[:1].isupper())


def raw_identifiers(raw: Raw, public: Public, words: frozenset[str] | None = None) -> dict[str, set[str]]:
    """Mechanism 1: the identifier-like tokens and addresses of the raw text."""
    addresses: set[str] = set()
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in raw.texts:
        for pattern in (EMAIL, URL, HANDLE):
            for m in pattern.finditer(text):
                addresses.add(re.sub(r"^(?:https?://)?(?:www\.)?", "", m.group().lower()).rstrip(".,;:!?/").lstrip("@"))
        prose = HANDLE.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
        for token in TOKEN.findall(prose):
            if token.islower():
                lower.add(token)
            elif not _is_acronym(token):
                capitalised.add(token)
    names = set()
    for token in capitalised:
        key = token.lower().replace("’", "'")
        base = re.sub(r"'s?$", "", key)
        if key in lower or base in lower or len(base) < 3:
            continue
        if _is_public(token, public.words) or is_word(token, words):
            continue
        names.add(base)
    return {"raw-name-like": names, "raw-address": {a for a in addresses if len(a) >= 4}}


def withdrawn_sentences(raw: Raw) -> set[str]:
    """Sentences (six words or more, normalised) that only withdrawn learners said or wrote."""
    kept = "\n".join(_norm(t) for t in raw.kept_texts)
    out = set()
    for text in raw.withdrawn_texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            norm = _norm(sentence)
            if len(norm.split()) >= SENTENCE and norm not in kept:
                out.add(norm)
    return out


def _norm(text: str) -> str:
    return " ".join(WORDS.findall(text.lower()))


def raw_runs(raw: Raw) -> set[int]:
    """Hashes of every run of :data:`RUN` words of the raw text (marks data-derived passages)."""
    runs: set[int] = set()
    for text in raw.texts:
        w = WORDS.findall(PLACEHOLDER.sub(" ", text).lower())
        runs.update(hash(tuple(w[i : i + RUN])) for i in range(len(w) - RUN + 1))
    return runs


# --------------------------------------------------------------------------- reading artifacts


def _xml_text(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    # DOCX splits a sentence over runs: join the runs of a paragraph before removing tags
    text = re.sub(r"</w:t>\s*</w:r>\s*<w:r[^>]*>(?:\s*<w:rPr>.*?</w:rPr>)?\s*<w:t[^>]*>", "", text, flags=re.S)
    text = re.sub(r"</w:p>|<br\s*/?>|</p>|</PlainTextContent>", "\n", text)
    return html.unescape(TAG.sub(" ", text))


def pdf_text(path: Path) -> str:
    """The text layer of a PDF, page by page (PDFium, through pypdfium2; the hyphen
    that PDFium marks at a line's end is given as a hyphen)."""
    import pypdfium2 as pdfium

    pages = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            text = page.get_textpage()
            pages.append(text.get_text_range())
            text.close()
            page.close()
    finally:
        pdf.close()
    return "\n".join(pages).replace("\r\n", "\n").translate({0x2: "-", 0xFFFE: "-"})


def text_of(path: Path) -> str | None:
    """Searchable text of one artifact; ``None`` for an image (no text to search)."""
    suffix = path.suffix.lower()
    if suffix in IMAGES:
        return None
    if suffix in ARCHIVES:
        parts = []
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                if Path(name).suffix.lower() in IMAGES:
                    continue  # an embedded picture: bytes, not text, as an image file on disk
                data = zf.read(name)
                parts.append(
                    _xml_text(data)
                    if name.endswith((".xml", ".qde", ".rels"))
                    else data.decode("utf-8", errors="replace")
                )
        return "\n".join(parts)
    if suffix == ".pdf":
        return pdf_text(path)
    raw = path.read_text(encoding="utf-8", errors="replace")
    if suffix == ".ipynb":
        nb = json.loads(raw)
        chunks = []
        for cell in nb.get("cells", []):
            chunks.append("".join(cell.get("source", [])))
            for output in cell.get("outputs", []):
                chunks.append("".join(output.get("text", [])))
                for kind, value in output.get("data", {}).items():
                    if kind.startswith("image/") and kind != "image/svg+xml":
                        continue  # base64 pixels: no text, and random letter runs that match short words
                    chunks.append("".join(value) if isinstance(value, list) else str(value))
        return html.unescape("\n".join(chunks))
    if suffix == ".svg":  # labels are <text> elements; path data is left out
        return html.unescape(TAG.sub(" ", raw))
    if suffix in (".html", ".htm", ".xml"):  # text, and attributes such as mailto: links
        raw = DATA_URI.sub(" ", raw)  # embedded images and fonts: base64, no text
        text = re.sub(r"</(?:p|div|td|th|tr|li|h\d|blockquote|pre)>|<br\s*/?>", "\n", raw, flags=re.I)
        return html.unescape(TAG.sub(" ", text)) + "\n" + re.sub(r'\sd="[^"]*"', " ", raw)
    return raw


# --------------------------------------------------------------------------- the search


@dataclass
class Needles:
    """Everything the audit looks for."""

    exact: dict[str, set[str]]  # kind -> strings searched as whole words, case-insensitively
    sentences: set[str] = field(default_factory=set)  # withdrawn learners' own sentences, normalised
    runs: set[int] = field(default_factory=set)  # raw text's word runs
    public: Public = field(default_factory=Public)
    ids: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)


def needles(
    raw: Raw | None = None,
    public: Public | None = None,
    configured: Iterable[str] = (),
    planted: pd.DataFrame | None = None,
    words: frozenset[str] | None = None,
) -> Needles:
    """Assemble what to look for from the raw data, the public text and the lists."""
    public = public or Public()
    exact: dict[str, set[str]] = {"configured": {s for s in configured if len(s.strip()) >= 3}}
    if planted is not None and len(planted):
        exact["planted"] = {s for s in planted["text"] if len(str(s).strip()) >= 3}
    out = Needles(exact=exact, public=public)
    if raw is not None:
        exact.update(raw_identifiers(raw, public, words))
        exact["withdrawn-id"] = set(raw.withdrawn_ids)
        out.sentences = withdrawn_sentences(raw)
        out.runs = raw_runs(raw)
        out.ids = {i.lower() for i in raw.ids}
        out.dates = raw.dates
    return out


RUNS = re.compile(r"\w+")
_FOLD = str.maketrans({"ı": "i", "ſ": "s"})


def _fold(word: str) -> str:
    """A word case-folded as a case-insensitive regex compares it to ASCII letters."""
    return word.casefold().translate(_FOLD)


def _pattern(values: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive regex for whole-word occurrences of any of ``values``."""
    return _compiled(frozenset(values))


@lru_cache(maxsize=256)
def _compiled(values: frozenset[str]) -> re.Pattern | None:
    if not values:
        return None
    body = "|".join(sorted(map(re.escape, values), key=len, reverse=True))
    return re.compile(r"(?<![\w@])(?:" + body + r")(?![\w])", re.I)


def data_passages(text: str, runs: set[int]) -> list[str]:
    """The passages of ``text`` that are data-derived: they, or a passage beside them,
    share :data:`RUN` consecutive words with the raw text."""
    if not runs:
        return []
    segments = [s for s in SEGMENT.split(text) if s and s.strip()]
    marks = []
    for seg in segments:
        w = WORDS.findall(PLACEHOLDER.sub(" ", seg).lower())
        marks.append(any(hash(tuple(w[i : i + RUN])) in runs for i in range(len(w) - RUN + 1)))
    return [
        seg
        for i, seg in enumerate(segments)
        if marks[i] or (i > 0 and marks[i - 1]) or (i + 1 < len(marks) and marks[i + 1])
    ]


def unknown_in_passage(passage: str, found: Needles, words: frozenset[str] | None = None) -> dict[str, list[str]]:
    """Mechanism 2 on one data-derived passage: what it flags, by kind."""
    hits: dict[str, list[str]] = {}
    text = PLACEHOLDER.sub(" ", passage)
    for kind, pattern in (("url-like", URL), ("handle-like", HANDLE)):
        for m in pattern.finditer(text):
            if kind == "handle-like" and m.group() in found.public.citations:
                continue  # a citation of the references ([@smith2020]), not a handle
            hits.setdefault(kind, []).append(m.group())
    for m in DATE.finditer(text):
        if m.group() not in found.dates:
            hits.setdefault("date-like", []).append(m.group())
    for m in DAY_MONTH.finditer(DATE.sub(" ", text)):  # a full date is counted once, above
        if not re.search(r"\b(?:may|march|mar)\b", m.group()):  # lower case: the verbs ("we may 5")
            hits.setdefault("date-like", []).append(m.group())
    # a date is not an ID number, nor is a GUID (the exchange formats' element ids)
    undated = GUID.sub(" ", DATE.sub(" ", ISO_TIME.sub(" ", text)))
    for m in ID_NUMBER.finditer(undated):
        if m.group().lower() not in found.ids and m.group() not in found.public.literals:
            hits.setdefault("id-number-like", []).append(m.group())
    prose = HANDLE.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
    allowed = found.public.words - found.public.people
    for m in TOKEN.finditer(prose):
        token = m.group()
        if not token[:1].isupper() or len(token) < 2 or token.lower() in found.ids:
            continue
        if prose.startswith(("...", "…"), m.end()):
            continue  # cut short by a table's display: not a word
        if _is_acronym(token) or _is_public(token, allowed) or is_word(token, words):
            continue
        hits.setdefault("unknown-capitalised", []).append(token)
    return hits


CLEAN = "leak_audit_clean"  # data/interim: the files found clean, by digest, under one fingerprint
READERS = ("english-words", "lxml", "pypdfium2")  # libraries whose version changes what is read or known


def _canonical(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    return value


def fingerprint(found: Needles, words: frozenset[str] | None = None) -> str:
    """SHA-256 of everything a scan's verdict on a file depends on besides the file:
    the needles, the dictionary given (else the default one, fixed by the code), this
    module's source and the versions of :data:`READERS`. (The raw text's word runs are
    hashes of Python strings: a process with another ``PYTHONHASHSEED`` gets another
    fingerprint and reads every file again.)"""
    from array import array
    from importlib.metadata import version

    runs = hashlib.sha256(array("q", sorted(found.runs)).tobytes()).hexdigest()  # many: packed, not listed
    payload = {
        "needles": _canonical(dataclasses.replace(found, runs=set())),
        "runs": runs,
        "words": _canonical(words) if words is not None else None,
        "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "readers": {name: version(name) for name in READERS},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def scan(
    found: Needles | dict[str, set[str]],
    folder: Path | None = None,
    words: frozenset[str] | None = None,
    clean: dict | None = None,
) -> dict:
    """Search every file under ``folder`` (default ``reports/``).

    ``clean`` is a previous report's ``"clean"`` entry: a file whose digest it lists
    under this scan's :func:`fingerprint` is not read again. The report's own
    ``"clean"`` lists every file of this scan without a hit."""
    if isinstance(found, dict):  # plain lists of strings to find
        found = Needles(exact={k: set(v) for k, v in found.items()})
    folder = folder or paths.reports_dir()
    mark = fingerprint(found, words)
    known = (clean or {}).get("files", {}) if (clean or {}).get("fingerprint") == mark else {}
    now_clean: dict[str, str] = {}
    # single words are looked up token by token (linear in the text, however many words
    # are searched); strings of several words, with spaces or punctuation, by regex
    single = {kind: {v.lower() for v in values if TOKEN.fullmatch(v)} for kind, values in found.exact.items()}
    # A string of several words is searched for only in a file that holds each of its
    # words (one regex over all of them, case-insensitive, was most of the audit's time).
    # The words are compared case-folded as the regex folds them (ı and ſ match i and s);
    # a string with characters outside ASCII is searched for in every file.
    several = {
        kind: [
            (v, frozenset(_fold(w) for w in RUNS.findall(v)) if v.isascii() else None)
            for v in sorted(values)
            if not TOKEN.fullmatch(v)
        ]
        for kind, values in found.exact.items()
    }
    several = {kind: entries for kind, entries in several.items() if entries}
    by_start: dict[int, list[str]] = {}
    for sentence in found.sentences:
        by_start.setdefault(hash(tuple(sentence.split()[:SENTENCE])), []).append(sentence)
    hits: list[dict] = []
    private: list[dict] = []
    scanned = skipped = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() in IMAGES:
            skipped += 1
            continue
        scanned += 1
        rel = paths.relative(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if known.get(rel) == digest:
            now_clean[rel] = digest
            continue
        text = text_of(path) or ""  # only an image has no text
        matched: dict[str, list[str]] = {}
        if several:
            present = {_fold(w) for w in set(RUNS.findall(text))}
            for kind, entries in several.items():
                pattern = _pattern(v for v, words in entries if words is None or words <= present)
                matched[kind] = [m.group() for m in pattern.finditer(text)] if pattern else []
        if any(single.values()):
            # each distinct token is looked up once (in order of first occurrence), with its count
            for token, count in Counter(TOKEN.findall(text)).items():
                key = token.lower()
                base = key.replace("’", "'").removesuffix("'s").removesuffix("'")
                for kind, names in single.items():
                    if key in names or base in names:
                        matched.setdefault(kind, []).extend([token] * count)
        for kind, pattern in (("email-like", EMAIL), ("phone-like", PHONE)):
            matched[kind] = [
                m.group()
                for m in pattern.finditer(text)
                if kind == "email-like" or sum(ch.isdigit() for ch in m.group()) >= 9
            ]
        if found.sentences:
            norm = _norm(text)
            toks = norm.split()
            starts = {hash(tuple(toks[i : i + SENTENCE])) for i in range(len(toks) - SENTENCE + 1)}
            # the sentence itself is not recorded, not even privately: it is what a withdrawn learner said
            matched["withdrawn-sentence"] = ["" for h in starts & set(by_start) for s in by_start[h] if s in norm]
        for passage in data_passages(text, found.runs):
            for kind, unknown in unknown_in_passage(passage, found, words).items():
                matched.setdefault(kind, []).extend(unknown)
        for kind, values in sorted(matched.items()):
            if values:
                hits.append({"file": rel, "kind": kind, "count": len(values)})
                private.extend({"file": rel, "kind": kind, "text": v} for v in sorted(set(values)))
        if not any(matched.values()):
            now_clean[rel] = digest
    summary = {
        "files_scanned": scanned,
        "images_skipped": skipped,
        "identifiers_searched": {k: len(v) for k, v in sorted(found.exact.items())}
        | {"withdrawn-sentence": len(found.sentences)},
        "hits": len(hits),
    }
    return {
        "summary": summary,
        "hits": hits,
        "private": private,
        "clean": {"fingerprint": mark, "files": dict(sorted(now_clean.items()))},
    }


def audit_project(
    raw_dir: Path | str,
    study,
    configured: Iterable[str] = (),
    planted: pd.DataFrame | None = None,
    folder: Path | None = None,
    root: Path | None = None,
    clean: dict | None = None,
) -> dict:
    """Read the raw data and the public text, then :func:`scan` ``folder`` (``clean``:
    the previous run's files found clean, see :func:`scan`)."""
    root = root or paths.project_root()
    public = public_text(root, study)
    ds = (study.dataset or {}).get("deidentify") or {}
    listed = [*configured, *_strings(ds.get("names", [])), *_strings(ds.get("places", []))]
    found = needles(read_raw(Path(raw_dir), study), public, listed, planted)
    return scan(found, folder, clean=clean)


PRIVATE_HITS = "leak_audit_hits"


def raise_on_leaks(report: dict) -> None:
    """Fail with the files and kinds of hit; the words themselves are only in the
    git-ignored ``data/private/leak_audit_hits.csv`` (see :func:`private_hits`)."""
    if report["hits"]:
        lines = "\n".join(f"  - {h['file']}: {h['count']} {h['kind']} match(es)" for h in report["hits"])
        raise LeakFound(
            f"the leak audit found identifying text under reports/:\n{lines}\n"
            f"The words found are listed, for the study team only, in data/private/{PRIVATE_HITS}.csv "
            "(git-ignored). Fix de-identification, or, for a word that is public and identifies no one "
            "(a programme, an organisation everyone knows), list it under deidentify.allowed in "
            "data/raw/dataset.yaml, then run again."
        )


def private_hits(report: dict) -> pd.DataFrame:
    """The hits with the words found, for ``data/private/`` only."""
    return pd.DataFrame(report.get("private", []), columns=["file", "kind", "text"])
