"""Thematic analysis of the consensus coding: frequencies, co-occurrence and quotes.

Works on de-identified units only. A unit's learners are its speaker (a turn) or
its authors (a document paragraph); its arm is theirs (``mixed`` when authors come
from both arms, ``none`` for facilitators and documents without learner authors),
and so is its site when the study records sites.

Besides the frequencies, each theme gets a profile for its analytic paragraph
(:func:`theme_profile`: sources of each type and learners of each arm and site
among all those in the data), the co-occurrence of its own codes
(:func:`theme_pairs`) and, for each code, how the coders' disagreements were settled
in the consensus coding (:func:`resolution`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from compendium.qualitative.agreement import matrix, shared_units
from compendium.qualitative.deidentify import PLACEHOLDER

FREQUENCY_COLUMNS = ["level", "id", "label", "by", "group", "units", "sources", "participants"]
QUOTE_COLUMNS = ["code", "rank", "source_id", "unit", "source_type", "speaker", "arm", "site", "quote"]
PROFILE_COLUMNS = ["theme", "by", "group", "units", "sources", "sources_total", "learners", "learners_total", "percent"]
PAIR_COLUMNS = ["theme", "code_1", "code_2", "units_1", "units_2", "units_both", "sources_both"]
RESOLUTION_COLUMNS = [
    "code",
    "consensus",
    "stand_in",
    "units",
    "sources",
    "disagreements",
    "applied",
    "left_off",
    "with_coder_1",
    "with_coder_2",
]


def _one_or_mixed(values: set) -> str:
    groups = sorted(str(v) for v in values)
    return groups[0] if len(groups) == 1 else ("mixed" if groups else "none")


def unit_people(units: pd.DataFrame, sources: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Each unit with its source type, its learners, their arm and (when
    participants.csv has a ``site`` column) their site: one value, ``mixed`` or
    ``none``."""
    table = participants.set_index("participant_id")
    arm_of = table["group"].to_dict()
    site_of = table["site"].to_dict() if "site" in table.columns else {}
    meta = sources.set_index("source_id")
    learners, arms, sites = [], [], []
    for sid, speaker, role in zip(units["source_id"], units["speaker"], units["speaker_role"]):
        if meta.at[sid, "type"] == "document":
            people = list(meta.at[sid, "participants"])
        else:
            people = [speaker] if role == "participant" else []
        learners.append(people)
        arms.append(_one_or_mixed({arm_of[p] for p in people if p in arm_of}))
        sites.append(_one_or_mixed({site_of[p] for p in people if p in site_of}) if site_of else "")
    return units.assign(source_type=units["source_id"].map(meta["type"]), learners=learners, arm=arms, site=sites)


def coded_units(
    units: pd.DataFrame, codings: pd.DataFrame, codebook: pd.DataFrame, coder: str = "consensus"
) -> pd.DataFrame:
    """Long table: one row per unit and code of ``coder``, with the unit's people."""
    chosen = codings.loc[codings["coder"] == coder, ["source_id", "unit", "code"]].copy()
    chosen["unit"] = chosen["unit"].astype(int)
    merged = chosen.merge(units.assign(unit=units["unit"].astype(int)), on=["source_id", "unit"], how="inner")
    return merged.merge(codebook[["code", "theme"]], on="code", how="left")


def frequencies(coded: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Units, sources and distinct learners per code and per theme, overall, by
    source type and by arm."""
    labels = {
        **dict(zip(codebook["code"], codebook["code_label"])),
        **dict(zip(codebook["theme"], codebook["theme_label"])),
    }
    exploded = coded.explode("learners")
    rows = []
    for level in ("theme", "code"):
        ids = list(dict.fromkeys(codebook[level]))
        for by in ("all", "source_type", "arm"):
            groups = ["all"] if by == "all" else sorted(coded[by].dropna().unique())
            for group in groups:
                part = coded if by == "all" else coded[coded[by] == group]
                people = exploded if by == "all" else exploded[exploded[by] == group]
                units = part.drop_duplicates(["source_id", "unit", level]).groupby(level).size()
                srcs = part.drop_duplicates(["source_id", level]).groupby(level).size()
                ppl = people.dropna(subset=["learners"]).drop_duplicates(["learners", level]).groupby(level).size()
                for ident in ids:
                    rows.append(
                        {
                            "level": level,
                            "id": ident,
                            "label": labels.get(ident, ident),
                            "by": by,
                            "group": group,
                            "units": int(units.get(ident, 0)),
                            "sources": int(srcs.get(ident, 0)),
                            "participants": int(ppl.get(ident, 0)),
                        }
                    )
    return pd.DataFrame(rows, columns=FREQUENCY_COLUMNS)


def cooccurrence(
    units: pd.DataFrame, codings: pd.DataFrame, codes: list[str], coder: str = "consensus"
) -> pd.DataFrame:
    """For each pair of codes: units coded with both, and sources where both occur
    (the diagonal gives each code's own counts)."""
    m = matrix(codings, coder, units, codes).astype(int)  # units x codes
    in_units = m.T @ m
    by_source = pd.DataFrame(m, columns=codes).groupby(units["source_id"].to_numpy()).max().to_numpy()
    in_sources = by_source.T @ by_source
    i, j = np.triu_indices(len(codes))
    return pd.DataFrame(
        {
            "code_1": np.array(codes)[i],
            "code_2": np.array(codes)[j],
            "units": in_units[i, j],
            "sources": in_sources[i, j],
        }
    )


#: A sentence of at least this many words that already appears in a chosen quote
#: disqualifies another unit from being quoted (:func:`exemplar_quotes`).
REPEAT_WORDS = 5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


_ABBREVIATIONS = (
    " dr.",
    " dra.",
    " mr.",
    " mrs.",
    " ms.",
    " mx.",
    " prof.",
    " sr.",
    " sra.",
    " st.",
    " rev.",
    "e.g.",
    "i.e.",
    " vs.",
    " no.",
)


def sentences(text: str, min_words: int = REPEAT_WORDS) -> set[str]:
    """The sentences of ``text`` with at least ``min_words`` words, normalised (lower
    case, single spaces) so that the same sentence is found wherever it occurs. A
    sentence ends at ., ! or ? followed by a space, except after a common abbreviation
    ("Dr.", "e.g.")."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(str(text)):
        if parts and (" " + parts[-1].lower()).endswith(_ABBREVIATIONS):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    out = set()
    for part in parts:
        words = part.lower().split()
        if len(words) >= min_words:
            out.add(" ".join(words))
    return out


def exemplar_quotes(coded: pd.DataFrame, per_code: int = 2, target_length: int = 160) -> pd.DataFrame:
    """Quotes per code, chosen by a fixed rule: units spoken or written by learners,
    those carrying the fewest other codes first (the clearest examples), then the
    fewest redactions, then the arm and then the source type quoted least so far (over
    every code, so that the quotes speak for both arms and every kind of source), then
    the length nearest ``target_length`` characters, then source and unit order; at
    most one quote per source, each unit quoted once, and a unit is passed over when one
    of its sentences of :data:`REPEAT_WORDS` or more words already appears in a quote
    chosen before it (codes taken in sorted order), so that no sentence is read twice
    among the quotes."""
    learner_units = coded[coded["learners"].map(len) > 0].copy()
    learner_units["n_codes"] = learner_units.groupby(["source_id", "unit"])["code"].transform("size")
    learner_units["distance"] = (learner_units["text"].str.len() - target_length).abs()
    learner_units["redactions"] = learner_units["text"].str.count(PLACEHOLDER.pattern)
    if "site" not in learner_units.columns:
        learner_units["site"] = ""
    rows = []
    seen_sentences: set[str] = set()
    seen_units: set[tuple[str, int]] = set()
    quoted_arms: dict[str, int] = {}
    quoted_types: dict[str, int] = {}
    for code, part in learner_units.groupby("code", sort=True):
        ranked = list(
            part.sort_values(["n_codes", "redactions", "distance", "source_id", "unit"], kind="stable").itertuples(
                index=False
            )
        )
        chosen: list = []
        used_sources: set = set()
        while len(chosen) < per_code:
            best, best_key = None, None
            for order, r in enumerate(ranked):
                if best_key is not None and (r.n_codes, r.redactions) > best_key[:2]:
                    break  # sorted by these first: nothing further down can be better
                rank_key = (
                    r.n_codes,
                    r.redactions,
                    quoted_arms.get(str(r.arm), 0),
                    quoted_types.get(str(r.source_type), 0),
                    order,  # then length, source and unit, as sorted
                )
                if best_key is not None and rank_key >= best_key:
                    continue
                key = (r.source_id, int(r.unit))
                if r.source_id in used_sources or key in seen_units or sentences(r.text) & seen_sentences:
                    continue
                best, best_key = r, rank_key
            if best is None:
                break
            chosen.append(best)
            used_sources.add(best.source_id)
            seen_units.add((best.source_id, int(best.unit)))
            seen_sentences |= sentences(best.text)
            quoted_arms[str(best.arm)] = quoted_arms.get(str(best.arm), 0) + 1
            quoted_types[str(best.source_type)] = quoted_types.get(str(best.source_type), 0) + 1
        for rank, r in enumerate(chosen, start=1):
            speaker = r.speaker if isinstance(r.speaker, str) else ", ".join(r.learners)
            rows.append(
                {
                    "code": code,
                    "rank": rank,
                    "source_id": r.source_id,
                    "unit": int(r.unit),
                    "source_type": r.source_type,
                    "speaker": speaker,
                    "arm": r.arm,
                    "site": r.site if isinstance(r.site, str) else "",
                    "quote": r.text,
                }
            )
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


# --------------------------------------------------------------------------- theme profiles


def theme_profile(
    coded: pd.DataFrame, people: pd.DataFrame, codebook: pd.DataFrame, participants: pd.DataFrame
) -> pd.DataFrame:
    """How far each theme reaches: one row per theme and group.

    ``by`` is ``all`` (every source and every learner in the qualitative data),
    ``source_type`` (sources of that type carrying the theme, of all sources of that
    type), ``arm`` and ``site`` (learners of that arm or site who spoke or wrote a unit
    carrying the theme, of all the learners of that arm or site who spoke or wrote any
    unit; ``site`` only when participants.csv has sites). ``percent`` is
    ``learners / learners_total`` for arms and sites, ``sources / sources_total`` for
    source types and overall. A learner's arm and site are their own (not the unit's),
    so a document written by learners of both arms counts for each of them.
    """
    table = participants.set_index("participant_id")
    facets = {"arm": table["group"].astype(str).to_dict()}
    if "site" in table.columns:
        facets["site"] = table["site"].astype(str).to_dict()
    all_learners = sorted({p for ps in people["learners"] for p in ps if p in facets["arm"]})
    all_sources = people.drop_duplicates("source_id")[["source_id", "source_type"]]
    exploded = coded.explode("learners").dropna(subset=["learners"])
    exploded = exploded[exploded["learners"].isin(all_learners)]
    rows = []

    def pct(a: int, b: int) -> float:
        return 100.0 * a / b if b else float("nan")

    for theme in dict.fromkeys(codebook["theme"]):
        part = coded[coded["theme"] == theme]
        theme_learners = set(exploded.loc[exploded["theme"] == theme, "learners"])
        n_units = int(part.drop_duplicates(["source_id", "unit"]).shape[0])
        n_sources = int(part["source_id"].nunique())
        rows.append(
            {
                "theme": theme,
                "by": "all",
                "group": "all",
                "units": n_units,
                "sources": n_sources,
                "sources_total": len(all_sources),
                "learners": len(theme_learners),
                "learners_total": len(all_learners),
                "percent": pct(n_sources, len(all_sources)),
            }
        )
        for stype, block in all_sources.groupby("source_type", sort=True):
            mine = part[part["source_type"] == stype]
            n = int(mine["source_id"].nunique())
            rows.append(
                {
                    "theme": theme,
                    "by": "source_type",
                    "group": stype,
                    "units": int(mine.drop_duplicates(["source_id", "unit"]).shape[0]),
                    "sources": n,
                    "sources_total": len(block),
                    "learners": np.nan,
                    "learners_total": np.nan,
                    "percent": pct(n, len(block)),
                }
            )
        for by, of in facets.items():
            for group in sorted({of[p] for p in all_learners}):
                members = {p for p in all_learners if of[p] == group}
                n = len(members & theme_learners)
                rows.append(
                    {
                        "theme": theme,
                        "by": by,
                        "group": group,
                        "units": np.nan,
                        "sources": np.nan,
                        "sources_total": np.nan,
                        "learners": n,
                        "learners_total": len(members),
                        "percent": pct(n, len(members)),
                    }
                )
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def theme_pairs(coded: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Every pair of codes within the same theme (codebook order): the units coded with
    each, the units coded with both, and the sources in which both occur. A theme with
    one code has no pair."""
    per_unit = coded.groupby(["source_id", "unit"])["code"].apply(set)
    per_source = coded.groupby("source_id")["code"].apply(set)
    rows = []
    for theme, block in codebook.groupby("theme", sort=False):
        codes = list(block["code"])
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                rows.append(
                    {
                        "theme": theme,
                        "code_1": a,
                        "code_2": b,
                        "units_1": int(sum(a in c for c in per_unit)),
                        "units_2": int(sum(b in c for c in per_unit)),
                        "units_both": int(sum(a in c and b in c for c in per_unit)),
                        "sources_both": int(sum(a in c and b in c for c in per_source)),
                    }
                )
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def resolution(
    units: pd.DataFrame, codings: pd.DataFrame, codebook: pd.DataFrame, coders: list[str], consensus: str = "file"
) -> pd.DataFrame:
    """How the disagreements of the first two coders were settled in the consensus
    coding, per code.

    Over the units of the sources both coders coded (those of the agreement table), a
    disagreement is a unit that one coder gave the code and the other did not. For each
    code: the disagreements, how many of them the consensus coding gave the code
    (``applied``) or not (``left_off``), and how many it settled as the first and as the
    second coder had coded them. ``consensus`` says where the consensus came from
    (``file``, ``coder`` or ``majority``; the data contract gives ``coder:<name>`` when a
    named coder stands in), and ``stand_in`` which of the two coders stood in
    (``first``, ``second``, or ``other`` for a coder outside the pair; blank otherwise),
    so that no coder is named. With fewer than two coders the table is empty.
    """
    if len(coders) < 2:
        return pd.DataFrame(columns=RESOLUTION_COLUMNS)
    codes = list(codebook["code"])
    shared = shared_units(units, codings, coders[:2])
    a, b = (matrix(codings, c, shared, codes) for c in coders[:2])
    c = matrix(codings, "consensus", shared, codes)
    differ = a != b
    mode, stand_in = consensus, ""
    if consensus.startswith("coder:"):
        name = consensus.split(":", 1)[1]
        mode = "coder"
        stand_in = {coders[0]: "first", coders[1]: "second"}.get(name, "other")
    return pd.DataFrame(
        {
            "code": codes,
            "consensus": mode,
            "stand_in": stand_in,
            "units": len(shared),
            "sources": shared["source_id"].nunique(),
            "disagreements": differ.sum(axis=0),
            "applied": (differ & c).sum(axis=0),
            "left_off": (differ & ~c).sum(axis=0),
            "with_coder_1": (differ & (c == a)).sum(axis=0),
            "with_coder_2": (differ & (c == b)).sum(axis=0),
        },
        columns=RESOLUTION_COLUMNS,
    )
