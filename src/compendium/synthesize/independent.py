"""The *independent* synthetic design (``compendium synthesize --design independent``).

A second, independently structured study that shares nothing with the shipped
("paper") design except the data contract: its own codebook (1 to 4 themes of 2 to 4
codes; the number of themes is ``1 + seed % 4``), other arm labels (``waitlist`` and
``workshop``), three named sites, 34 to 60 enrolled learners in unequal arms with a
few withdrawals, missing ages, missing items and missing post waves, interviews and
documents only (no focus groups), two coders called ``rk`` and ``mt`` and no
``coding/consensus.csv``. Its text comes from its own bank
(:mod:`.independent_text`), and its planted identifiers (names of many origins,
institutions in other languages, towns, e-mails, phones, web addresses with and
without a scheme, handles, dates of birth, student and record numbers) are listed in
the truth folder, one row per identifying token.

The output is a pure function of the seed: the same seed gives the same bytes.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import independent_text as tb

OUTCOMES = ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support")
# Share of each arm (control, intervention) with the outcome; leadership is kept
# sparse in the control arm so that at least one comparison needs Fisher's exact test.
RATES = {
    "increased_cultural_competence": (0.22, 0.52),
    "active_participation": (0.32, 0.66),
    "leadership_role": (None, 0.25),
    "perceived_support": (0.38, 0.62),
}
PLANTED_COLUMNS = ["source_id", "unit", "kind", "text", "form"]
_SLOT = re.compile(r"\{([a-z_]+)\}")
_NAME_SLOTS = {"titled", "full", "first", "poss", "surname", "upper", "lower"}


def n_themes_for(seed: int) -> int:
    """Number of themes the independent codebook has for ``seed``: ``1 + seed % 4``."""
    return 1 + int(seed) % len(tb.THEME_POOL)


# --------------------------------------------------------------------------- codebook


def build_codebook(rng: np.random.Generator, seed: int) -> list[dict]:
    """1 to 4 themes from the pool, each with its two anchor codes and 0 to 2 more."""
    n = n_themes_for(seed)
    picked = sorted(rng.choice(len(tb.THEME_POOL), size=n, replace=False).tolist())
    themes = []
    for i in picked:
        pool = tb.THEME_POOL[i]
        extra = int(rng.integers(0, 3))
        others = sorted(rng.choice([2, 3], size=extra, replace=False).tolist()) if extra else []
        codes = [dict(pool["codes"][j]) for j in [0, 1, *others]]
        themes.append({"id": pool["id"], "label": pool["label"], "description": pool["description"], "codes": codes})
    return themes


# --------------------------------------------------------------------------- learners


def _counts(rng: np.random.Generator, n: int, rate: float, low: int) -> int:
    return int(np.clip(round(rate * n + rng.normal(0, 1)), low, max(low, n - 2)))


def build_learners(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """participants.csv and survey.csv frames, the per-learner frame (flags), and
    the cc and support item names."""
    control, intervention = tb.ARMS
    n_enrolled = int(rng.integers(34, 61))
    n_withdrawn = int(rng.integers(2, 4))
    consented = n_enrolled - n_withdrawn
    n_int = int(round(consented * rng.uniform(0.56, 0.62)))
    sizes = {control: consented - n_int, intervention: n_int}

    rows = []
    for arm, n in sizes.items():
        # sites: unequal, every site in both arms
        weights = np.array([0.42, 0.33, 0.25])
        per_site = np.maximum(1, np.floor(weights * n)).astype(int)
        per_site[0] += n - per_site.sum()
        site = rng.permutation(np.repeat(tb.SITES, per_site))
        activism = rng.random(n) < 0.3
        no_post = np.zeros(n, dtype=bool)
        no_post[rng.choice(n, size=1, replace=False)] = True
        flags = {}
        has_post = np.flatnonzero(~no_post)
        for outcome in OUTCOMES:
            rate = RATES[outcome][0 if arm == control else 1]
            if rate is None:
                k = int(rng.integers(1, 3))
            else:
                k = _counts(rng, len(has_post), rate, 2 if outcome != "leadership_role" else 3)
            w = np.ones(len(has_post)) + (
                1.5 * activism[has_post] if outcome in ("active_participation", "leadership_role") else 0
            )
            chosen = rng.choice(has_post, size=k, replace=False, p=w / w.sum())
            f = np.zeros(n, dtype=bool)
            f[chosen] = True
            flags[outcome] = f
        for i in range(n):
            rows.append(
                {
                    "site": str(site[i]),
                    "group": arm,
                    "consent": "given",
                    "post": not no_post[i],
                    "previous_activism": bool(activism[i]),
                    **{o: bool(flags[o][i]) for o in OUTCOMES},
                }
            )
    for j in range(n_withdrawn):
        rows.append(
            {
                "site": str(rng.choice(tb.SITES)),
                "group": tb.ARMS[j % 2],
                "consent": "withdrawn",
                "post": bool(j % 2),
                "previous_activism": bool(rng.random() < 0.5),
                **{o: bool(rng.random() < 0.4) for o in OUTCOMES},
            }
        )
    learners = pd.DataFrame(rows)
    n_all = len(learners)
    genders, gp = list(tb.GENDERS), np.array(list(tb.GENDERS.values()))
    ethn, ep = list(tb.ETHNICITIES), np.array(list(tb.ETHNICITIES.values()))
    learners["gender"] = rng.choice(genders, size=n_all, p=gp / gp.sum())
    learners["ethnicity"] = rng.choice(ethn, size=n_all, p=ep / ep.sum())
    mature = rng.random(n_all) < 0.15
    age = np.where(mature, rng.integers(30, 49, n_all), np.clip(np.rint(rng.normal(22.5, 2.4, n_all)), 18, 29))
    learners["age"] = [str(int(a)) for a in age]
    given_idx = np.flatnonzero(learners["consent"].to_numpy() == "given")
    for i in rng.choice(given_idx, size=int(rng.integers(2, 5)), replace=False):
        learners.loc[i, "age"] = ""

    ids: list[tuple[int, str]] = []
    for s in tb.SITES:
        idx = np.flatnonzero(learners["site"].to_numpy() == s)
        numbers = sorted(rng.choice(np.arange(1, 200), size=len(idx), replace=False).tolist())
        numbers = rng.permutation(numbers).tolist()
        ids.extend(zip(idx.tolist(), [f"{tb.SITE_PREFIX[s]}-{int(n):03d}" for n in numbers]))
    learners["participant_id"] = pd.Series(dict(ids))
    learners = learners.sort_values("participant_id", kind="stable").reset_index(drop=True)

    participants = learners[
        ["participant_id", "site", "group", "gender", "ethnicity", "age", "previous_activism", "consent"]
    ].copy()
    participants["previous_activism"] = participants["previous_activism"].map({True: "yes", False: "no"})

    k = int(rng.choice([3, 4, 5]))
    m = int(rng.choice([2, 3]))
    cc = [f"cc_{i + 1}" for i in range(k)]
    sup = [f"support_{i + 1}" for i in range(m)]
    survey_rows = []
    for r in learners.itertuples(index=False):
        survey_rows.extend(_survey_rows(rng, r, k, m))
    survey = pd.DataFrame(survey_rows)[["participant_id", "wave", *cc, "participation", "leadership", *sup]]
    survey = survey.astype({c: "object" for c in cc + sup})
    # a few unanswered items, anywhere
    cells = [(i, c) for i in range(len(survey)) for c in cc + sup]
    for j in rng.choice(len(cells), size=int(rng.integers(4, 9)), replace=False):
        i, c = cells[int(j)]
        survey.at[i, c] = ""
    return participants, survey, learners, cc, sup


def _yn(value: bool) -> str:
    return "yes" if value else "no"


def _survey_rows(rng: np.random.Generator, r, k: int, m: int) -> list[dict]:
    pre_cc = np.clip(np.rint(rng.normal(2.7, 0.5) + rng.normal(0, 0.5, k)), 1, 4).astype(int)
    if r.increased_cultural_competence:
        delta = int(rng.integers(-(-k // 2), k + 1))  # at least half a point on the mean
    else:
        delta = int(rng.integers(-(k // 2), -(-k // 2)))  # below half a point
    post_cc = pre_cc.copy()
    step = 1 if delta > 0 else -1
    for _ in range(abs(delta)):
        movable = np.flatnonzero(post_cc < 5) if step > 0 else np.flatnonzero(post_cc > 1)
        if len(movable):
            post_cc[rng.choice(movable)] += step
    if r.increased_cultural_competence != bool((post_cc.sum() - pre_cc.sum()) / k >= 0.5):
        raise RuntimeError("internal: the cultural-competence change does not match its flag")
    pre_sup = np.clip(np.rint(rng.normal(3.0, 0.7) + rng.normal(0, 0.5, m)), 1, 5).astype(int)
    total = int(rng.integers(4 * m, 5 * m + 1)) if r.perceived_support else int(rng.integers(2 * m, 4 * m))
    post_sup = np.full(m, total // m)
    post_sup[: total % m] += 1
    post_sup = rng.permutation(post_sup)

    def row(wave, c, s, part, lead):
        d = {"participant_id": r.participant_id, "wave": wave}
        d.update({f"cc_{i + 1}": str(int(v)) for i, v in enumerate(c)})
        d.update({"participation": _yn(part), "leadership": _yn(lead)})
        d.update({f"support_{i + 1}": str(int(v)) for i, v in enumerate(s)})
        return d

    act = bool(r.previous_activism)
    rows = [row("pre", pre_cc, pre_sup, act and rng.random() < 0.4, act and rng.random() < 0.15)]
    if r.post:
        rows.append(row("post", post_cc, post_sup, r.active_participation, r.leadership_role))
    return rows


# --------------------------------------------------------------------------- sources


@dataclass
class _Source:
    ident: str
    kind: str
    date: str
    participants: list[str]
    facilitators: list[str] = field(default_factory=list)
    genre: str | None = None
    platform: str | None = None
    # speaker (None in documents), fixed text (None: to be written), true codes, carries PII
    units: list[list] = field(default_factory=list)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower())


class _Planter:
    """Fills the identifier slots of a template and records each identifying token."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        people: list[tuple[str, str]] = list(tb.MUST_PLANT)
        firsts_inv, lasts_inv = tb.NAMES["invented"]
        for region, (firsts, lasts) in tb.NAMES.items():
            for _ in range(2):
                first = str(rng.choice(firsts))
                last = str(rng.choice(lasts if region == "invented" or rng.random() < 0.8 else lasts_inv))
                if (first, last) not in people and first not in {p[0] for p in people}:
                    people.append((first, last))
        self.people = people
        self.rows: list[dict] = []
        self._must = list(tb.MUST_PLANT)  # written in full by the first templates that show a surname

    def _person(self, template: str) -> tuple[str, str]:
        if self._must and re.search(r"\{(titled|full|surname)\}", template):
            return self._must.pop(0)
        return self.people[int(self.rng.integers(len(self.people)))]

    def fill(self, template: str, source: str, unit: int) -> str:
        rng = self.rng
        first, last = self._person(template)

        def rec(kind: str, text: str, form: str) -> str:
            self.rows.append({"source_id": source, "unit": unit, "kind": kind, "text": text, "form": form})
            return text

        def name(given: str, family: str, form: str) -> str:
            rec("person", given, form)
            rec("person", family, form)
            return f"{given} {family}"

        def repl(m: re.Match) -> str:
            slot = m.group(1)
            if slot == "titled":
                return f"{rng.choice(tb.TITLES)} " + name(first, last, "titled")
            if slot == "full":
                return name(first, last, "full")
            if slot == "first":
                return rec("person", first, "given name alone")
            if slot == "poss":
                return rec("person", first, "possessive") + "'s"
            if slot == "surname":
                return f"{rng.choice(tb.TITLES)} " + rec("person", last, "title and surname")
            if slot == "upper":
                return name(first.upper(), last.upper(), "upper case")
            if slot == "lower":
                return rec("person", first.lower(), "lower case")
            if slot == "inst":
                return rec("inst", str(rng.choice(tb.INSTITUTIONS)), "institution")
            if slot == "place":
                return rec("place", str(rng.choice(tb.PLACES)), "town")
            if slot == "email":
                return rec("email", f"{_ascii(first)}.{_ascii(last)}@{rng.choice(tb.EMAIL_DOMAINS)}", "e-mail")
            if slot == "phone":
                fmt = str(rng.choice(tb.PHONE_FORMATS))
                value = fmt.format(
                    a=int(rng.integers(1, 10)),
                    a2=int(rng.integers(1, 10)),
                    b=f"{int(rng.integers(100, 1000))}",
                    b2=f"{int(rng.integers(100, 1000))}",
                    c=f"{int(rng.integers(0, 10000)):04d}",
                    c2=f"{int(rng.integers(0, 10000)):04d}",
                )
                return rec("phone", value, "phone")
            if slot == "url":
                return rec("url", str(rng.choice(tb.URLS)), "web address with scheme")
            if slot == "bare_url":
                return rec("url", str(rng.choice(tb.BARE_URLS)), "web address without scheme")
            if slot == "handle":
                return rec("handle", str(rng.choice(tb.HANDLES)), "handle")
            year, month, day = int(rng.integers(1976, 2006)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
            if slot == "dob_long":
                return rec("dob", f"{day} {tb.MONTHS[month - 1]} {year}", "date of birth, words")
            if slot == "dob_iso":
                return rec("dob", f"{year}-{month:02d}-{day:02d}", "date of birth, ISO")
            if slot == "dob_slash":
                return rec("dob", f"{day:02d}/{month:02d}/{year}", "date of birth, slashes")
            if slot == "student":
                return rec("id_number", f"S{int(rng.integers(1_000_000, 10_000_000))}", "student number")
            if slot == "mrn":
                return rec("id_number", f"{int(rng.integers(1_000_000, 10_000_000))}", "medical record number")
            if slot == "nhi":
                letters = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), size=3))
                return rec("id_number", f"{letters}{int(rng.integers(1000, 10000))}", "health index number")
            raise KeyError(f"internal: unknown template slot {slot!r}")

        return _SLOT.sub(repl, template)


def _date(rng: np.random.Generator) -> str:
    day = pd.Timestamp("2023-09-04") + pd.Timedelta(days=int(rng.integers(0, 205)))
    return day.strftime("%Y-%m-%d")


def _prevalence(rng: np.random.Generator, codes: list[str]) -> np.ndarray:
    """How often each code comes up: skewed, and at least one code rare (a code that
    is not linked to an outcome, where the codebook has one)."""
    weights = np.array([tb.RARE.get(c, 1.0) for c in codes]) * rng.lognormal(0.0, 0.4, len(codes))
    anchors = np.array([c in tb.ANCHOR_LINKS for c in codes])
    weights[anchors] = np.maximum(weights[anchors], 0.9)  # a linked code has data behind its link
    free = [i for i, c in enumerate(codes) if c not in tb.ANCHOR_LINKS] or list(range(len(codes)))
    rarest = min(free, key=lambda i: weights[i])
    weights[rarest] = min(weights[rarest], 0.15)
    return weights


def _choose_codes(rng: np.random.Generator, codes: list[str], base: np.ndarray, profile: dict | None) -> list[str]:
    weights = base.copy()
    if profile is not None:
        for i, c in enumerate(codes):
            if c in tb.ANCHOR_LINKS:
                outcome, direction = tb.ANCHOR_LINKS[c]
                has = bool(profile[outcome]) if profile.get("post") else False
                weights[i] *= 2.6 if has == (direction == "same") else 0.45
    k = int(rng.choice([0, 1, 2, 3], p=[0.15, 0.55, 0.25, 0.05]))
    k = min(k, len(codes))
    if not k:
        return []
    picked = rng.choice(len(codes), size=k, replace=False, p=weights / weights.sum())
    return sorted(codes[i] for i in picked)


def build_sources(rng: np.random.Generator, learners: pd.DataFrame, codebook: list[dict]):
    """Interview and document sources with their units' true codes."""
    codes = [c["id"] for t in codebook for c in t["codes"]]
    base = _prevalence(rng, codes)
    profiles = learners.set_index("participant_id").to_dict(orient="index")
    given = learners.loc[learners["consent"] == "given"]
    gone = learners.loc[learners["consent"] == "withdrawn", "participant_id"].tolist()
    pool = list(rng.permutation(given["participant_id"].to_numpy()))
    site_of = dict(zip(learners["participant_id"], learners["site"]))
    srcs: list[_Source] = []
    per_site = {s: 0 for s in tb.SITES}

    n_int = int(rng.integers(9, 14))
    for i in range(n_int):
        if i == 2:
            people = [gone[0]]  # an interviewee who later withdraws: the whole interview goes
        elif i == 4:
            people = sorted([str(pool.pop()), gone[1]])  # a paired interview: one of the two withdraws
        elif i in (6, 9):
            people = sorted([str(pool.pop()), str(pool.pop())])
        else:
            people = [str(pool.pop())]
        site = site_of[people[0]]
        per_site[site] += 1
        fac = str(rng.choice(tb.CODERS))
        s = _Source(f"iv_{tb.SITE_PREFIX[site].lower()}_{per_site[site]:02d}", "interview", _date(rng), people, [fac])
        for q in rng.choice(tb.QUESTIONS, size=int(rng.integers(4, 8)), replace=False):
            s.units.append([fac, str(q), [], rng.random() < 0.08])
            speakers = (
                people if len(people) == 1 else list(rng.choice(people, size=int(rng.integers(1, 3)), replace=False))
            )
            for sp in speakers:
                s.units.append([str(sp), None, _choose_codes(rng, codes, base, profiles[str(sp)]), False])
        s.units.append([fac, str(rng.choice(tb.CLOSINGS)), [], False])
        srcs.append(s)

    n_doc = int(rng.integers(6, 11))
    given_ids = given["participant_id"].tolist()
    for d in range(n_doc):
        genre = tb.DOCUMENT_GENRES[int(rng.integers(len(tb.DOCUMENT_GENRES)))] if d >= 4 else tb.DOCUMENT_GENRES[d]
        if d == 1:
            authors = [gone[-1]]  # a document written by a learner who withdraws
            genre = "reflective_log"
        elif genre == "meeting_notes":
            authors = []
        else:
            n_auth = {"reflective_log": 1, "newsletter": 2, "open_letter": 3}[genre]
            authors = sorted(str(a) for a in rng.choice(given_ids, size=n_auth, replace=False))
        platforms = tb.PLATFORMS.get(genre)
        s = _Source(
            f"wr_{d + 1:02d}",
            "document",
            _date(rng),
            authors,
            genre=genre,
            platform=str(rng.choice(platforms)) if platforms else None,
        )
        frames = tb.DOCUMENT_FRAMES[genre]
        earlier = sum(1 for other in srcs if other.genre == genre)
        heading, opening, closing = frames[earlier % len(frames)]
        s.units.append([None, f"{heading}. {opening}", [], False])
        profile = profiles[authors[0]] if authors else None
        for _ in range(int(rng.integers(2, 6))):
            s.units.append(
                [
                    None,
                    None,
                    _choose_codes(rng, codes, base, profile) or [str(rng.choice(codes, p=base / base.sum()))],
                    False,
                ]
            )
        s.units.append([None, closing, [], False])
        srcs.append(s)
    return srcs


def _write_text(rng: np.random.Generator, srcs: list[_Source], planter: _Planter) -> None:
    """Write each unit's text; decide which units carry an identifier so that every
    identifier template is used at least once."""
    slots = [(si, ui) for si, s in enumerate(srcs) for ui, u in enumerate(s.units) if u[1] is None]
    rates = np.array([0.55 if srcs[si].kind == "document" else 0.3 for si, _ in slots])
    carry = rng.random(len(slots)) < rates
    need = len(tb.PII_SENTENCES) - int(carry.sum())
    if need > 0:
        carry[rng.choice(np.flatnonzero(~carry), size=need, replace=False)] = True
    templates = list(rng.permutation(tb.PII_SENTENCES))
    pii_at: dict = {slots[i]: None for i in np.flatnonzero(carry)}
    for key in pii_at:
        pii_at[key] = templates.pop() if templates else str(rng.choice(tb.PII_SENTENCES))
    fillers = 0
    uses: dict = {}
    for si, s in enumerate(srcs):
        used: set[str] = set()

        def pick(bank: list[str], used: set[str] = used) -> str:
            fresh = [x for x in bank if x not in used] or bank
            choice = str(fresh[int(rng.integers(len(fresh)))])
            used.add(choice)
            return choice

        for ui, unit in enumerate(s.units):
            number = ui + 1
            speaker, text, codes, greet = unit
            if text is not None:
                if greet:  # the interviewer greets the interviewee by name
                    text = planter.fill("Thanks, {first}. ", s.ident, number) + text
                unit[1] = text
                continue
            # One sentence written for each code (the draw from the old bank is kept so
            # that the random stream is unchanged); a filler only in a unit without codes;
            # an identifier in a unit with codes sits in a sentence about one of them.
            voice = "written" if s.kind == "document" else "said"
            parts: list[tuple[str, str]] = []  # (code, or "" for a filler, or "{pii}"; text)
            for c in codes:
                pick(tb.SENTENCES[c])
                parts.append((c, tb.code_sentence(c, voice, uses.get((c, voice), 0))))
                uses[(c, voice)] = uses.get((c, voice), 0) + 1
            if not parts or rng.random() < 0.25:
                at = int(rng.integers(len(parts) + 1))
                pick(tb.FILLERS[:8])  # the draw of earlier versions, kept so that the random stream is unchanged
                if codes:
                    parts.insert(at, ("", ""))  # only its draws remain
                else:
                    parts.insert(at, ("", tb.filler(fillers)))
                    fillers += 1  # each filler is written once in a study
            if (si, ui) in pii_at:
                template = pii_at[(si, ui)]
                at = int(rng.integers(len(parts) + 1))
                near = [c for c, _ in parts[:at][::-1] + parts[at:] if c]
                if near:
                    key = (near[0], template)
                    parts.insert(at, ("{pii}", tb.pii_on_topic(template, near[0], uses.get(key, 0))))
                    uses[key] = uses.get(key, 0) + 1
                else:
                    parts.insert(at, ("{pii}", tb.reworded(template, uses.get(template, 0))))
                    uses[template] = uses.get(template, 0) + 1
            filled = [planter.fill(p, s.ident, number) for _, p in parts]  # a person is drawn for each part
            unit[1] = " ".join(f for f in filled if f)


def _render(s: _Source) -> str:
    def ylist(values: list[str]) -> str:
        return "[" + ", ".join(values) + "]"

    head = ["---", f"id: {s.ident}", f"type: {s.kind}", f"date: {s.date}", f"participants: {ylist(s.participants)}"]
    if s.kind == "interview":
        head.append(f"facilitators: {ylist(s.facilitators)}")
    else:
        head.append(f"genre: {s.genre}")
        if s.platform:
            head.append(f"platform: {s.platform}")
    head.append("---")
    body = [""]
    for speaker, text, _, _ in s.units:
        if speaker is None:
            body.extend([text, ""])
        else:
            body.append(f"{speaker}: {text}")
    return "\n".join(head + body).rstrip("\n") + "\n"


def build_codings(rng: np.random.Generator, srcs: list[_Source], codebook: list[dict]):
    """Both coders' codings and the true codes. ``rk`` codes every source, ``mt`` a
    subset; errors depend on the code, and a missed code is often swapped for a
    sibling of the same theme."""
    codes = [c["id"] for t in codebook for c in t["codes"]]
    theme_of = {c["id"]: t["id"] for t in codebook for c in t["codes"]}
    siblings = {c: [d for d in codes if theme_of[d] == theme_of[c] and d != c] for c in codes}
    errors = {c: (float(rng.uniform(0.04, 0.3)), float(rng.uniform(0.002, 0.02))) for c in codes}
    ids = [s.ident for s in srcs]
    second = set(rng.choice(ids, size=max(4, int(round(0.6 * len(ids)))), replace=False).tolist())
    truth: list[dict] = []
    coded: dict[str, list[dict]] = {c: [] for c in tb.CODERS}
    for s in srcs:
        for number, (speaker, _text, true, _) in enumerate(s.units, start=1):
            codable = (
                bool(true)
                or (s.kind == "document" and 1 < number < len(s.units))
                or (s.kind == "interview" and speaker not in s.facilitators)
            )
            truth.extend({"source_id": s.ident, "unit": number, "code": c} for c in true)
            for coder in tb.CODERS:
                if coder != tb.CODERS[0] and s.ident not in second:
                    continue
                if not codable:
                    continue
                got = set()
                for c in true:
                    miss, _ = errors[c]
                    if rng.random() >= miss:
                        got.add(c)
                    elif siblings[c] and rng.random() < 0.4:
                        got.add(str(rng.choice(siblings[c])))
                for c in codes:
                    if c not in true and rng.random() < errors[c][1]:
                        got.add(c)
                coded[coder].extend({"source_id": s.ident, "unit": number, "code": c} for c in sorted(got))

    def frame(rows):
        f = pd.DataFrame(rows, columns=["source_id", "unit", "code"])
        return f.sort_values(["source_id", "unit", "code"], kind="stable").reset_index(drop=True)

    return {c: frame(r) for c, r in coded.items()}, frame(truth)


# --------------------------------------------------------------------------- study description


def _links(rng: np.random.Generator, codebook: list[dict]) -> list[dict]:
    anchors = [c["id"] for t in codebook for c in t["codes"] if c["id"] in tb.ANCHOR_LINKS]
    n = 2 if len(codebook) == 1 else 3
    picked = sorted(rng.choice(len(anchors), size=min(n, len(anchors)), replace=False).tolist())
    return [
        {"code": anchors[i], "outcome": tb.ANCHOR_LINKS[anchors[i]][0], "direction": tb.ANCHOR_LINKS[anchors[i]][1]}
        for i in picked
    ]


def _dataset(seed: int, truth_file: str | None, links: list[dict], allowed: list[str]) -> dict:
    info: dict = {
        "synthetic": True,
        "generator": "compendium synthesize",
        "design": "independent",
        "seed": int(seed),
    }
    if truth_file:
        info["truth_file"] = truth_file
    info.update(
        {
            "title": tb.TITLE,
            "authors": [dict(a) for a in tb.AUTHORS],
            "setting": tb.SETTING,
            "period": tb.PERIOD,
            "keywords": list(tb.KEYWORDS),
            "design_features": dict(tb.DESIGN_FEATURES),
            "arms": {"control": tb.ARMS[0], "intervention": tb.ARMS[1]},
            "consensus_coder": tb.CODERS[0],
            "integration": {"links": links},
            "deidentify": {"allowed": allowed},
        }
    )
    return info


def synthesize_independent(out_dir: str | Path, *, seed: int, truth_dir: str | Path | None = None) -> dict:
    """Write the independent synthetic study to ``out_dir`` and return a summary.

    Parameters
    ----------
    out_dir : path
        The raw-data folder to write (a contract folder: participants.csv,
        survey.csv, sources/, codebook.yaml, coding/, dataset.yaml, README.md).
    seed : int
        Seeds everything; the codebook has ``1 + seed % 4`` themes.
    truth_dir : path, optional
        Where to write what only the generator knows: ``planted_identifiers.csv``
        (one row per identifying token: source, unit, kind, text, form),
        ``true_codes.csv`` and a README.

    Returns
    -------
    dict
        Counts of learners, sources and planted identifiers, and the theme and code ids.
    """
    from .design import truth_file

    rng = np.random.default_rng([int(seed), 0x1DE])
    codebook = build_codebook(rng, seed)
    participants, survey, learners, cc, sup = build_learners(rng)
    srcs = build_sources(rng, learners, codebook)
    planter = _Planter(rng)
    _write_text(rng, srcs, planter)
    codings, true_codes = build_codings(rng, srcs, codebook)
    links = _links(rng, codebook)
    texts = {s.ident: _render(s) for s in srcs}
    corpus = "\n".join(texts.values())
    allowed = [n for n in tb.PUBLIC_NAMES if n in corpus] + list(tb.SITES)

    out = Path(out_dir)
    for name in ("sources", "coding"):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("participants.csv", "survey.csv", "codebook.yaml", "dataset.yaml", "README.md"):
        (out / stale).unlink(missing_ok=True)
    _csv(participants, out / "participants.csv")
    _csv(survey, out / "survey.csv")
    (out / "sources").mkdir()
    for ident in sorted(texts):
        _text(out / "sources" / f"{ident}.md", texts[ident])
    _text(out / "codebook.yaml", yaml.safe_dump({"themes": codebook}, sort_keys=False, allow_unicode=True, width=100))
    (out / "coding").mkdir()
    for coder, frame in codings.items():
        _csv(frame, out / "coding" / f"{coder}.csv")

    truth_path = truth_file(out, Path(truth_dir)) if truth_dir is not None else None
    info = _dataset(seed, truth_path, links, allowed)
    info["items"] = {c: w for c, w in tb.ITEM_WORDING.items() if c in survey.columns}
    _text(out / "dataset.yaml", yaml.safe_dump(info, sort_keys=False, allow_unicode=True, width=100))
    _text(out / "README.md", _readme(info, participants, srcs, codebook))

    planted = pd.DataFrame(planter.rows, columns=PLANTED_COLUMNS).drop_duplicates()
    planted = planted.sort_values(["source_id", "unit"], kind="stable").reset_index(drop=True)
    if truth_dir is not None:
        truth = Path(truth_dir)
        truth.mkdir(parents=True, exist_ok=True)
        _csv(planted, truth / "planted_identifiers.csv")
        _csv(true_codes, truth / "true_codes.csv")
        _text(truth / "README.md", _truth_readme(info))
    return {
        "learners": int(len(participants)),
        "sources": int(len(srcs)),
        "planted_identifiers": int(len(planted)),
        "themes": [t["id"] for t in codebook],
        "codes": [c["id"] for t in codebook for c in t["codes"]],
    }


def _csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")


def _text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _readme(info: dict, participants: pd.DataFrame, srcs: list[_Source], codebook: list[dict]) -> str:
    withdrawn = int((participants["consent"] == "withdrawn").sum())
    arms = participants["group"].value_counts().to_dict()
    n_iv = sum(s.kind == "interview" for s in srcs)
    n_doc = sum(s.kind == "document" for s in srcs)
    n_codes = sum(len(t["codes"]) for t in codebook)
    truth = f" --truth {info['truth_file'].rsplit('/', 1)[0]}" if info.get("truth_file") else ""
    return f"""# Raw data: SYNTHETIC study data (independent design)

**These data are synthetic.** No real learner, transcript or document is in this
folder. They were written by the compendium's seeded generator in its independent
design, which shares nothing with the shipped data set except the data contract:

    compendium synthesize --design independent --seed {info["seed"]} --out data/raw{truth}

and the same command gives back exactly these bytes.

Contents ({len(participants)} enrolled learners at three sites, {withdrawn} of whom withdrew
consent; arms {", ".join(f"{k}: {v}" for k, v in sorted(arms.items()))}; {n_iv} interviews and
{n_doc} documents; {len(codebook)} theme(s) with {n_codes} codes; two coders, no consensus file):

- `participants.csv`, `survey.csv`: learners and their survey waves (some ages, items
  and post waves are missing on purpose)
- `sources/`: interviews and documents, with invented personal details planted so that
  de-identification has work to do
- `codebook.yaml`: themes and codes
- `coding/`: each coder's coding (`{tb.CODERS[0]}` stands in for the consensus)
- `dataset.yaml`: the study's description (title, invented authors, arms, joint-display
  links, allowed public names) and the generator's arguments

The format of every file is described in `docs/data-dictionary.md`.
"""


def _truth_readme(info: dict) -> str:
    return f"""# What the generator knows (independent design, seed {info["seed"]})

Synthetic, like the raw folder it belongs to. Not part of the data contract; the
pipeline reads `planted_identifiers.csv` only through `truth_file` in dataset.yaml,
to score de-identification and to audit the reports.

- `planted_identifiers.csv`: one row per identifying token planted in a source
  (source_id, unit, kind, text, form). A full name gives two rows (given name and
  surname); `form` says how it was written (titled, possessive, upper case, ...).
- `true_codes.csv`: the codes each unit was written to carry; the coders' codings
  were derived from them with code-dependent errors.
"""
