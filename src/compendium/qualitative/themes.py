"""Thematic analysis of the consensus coding: frequencies, co-occurrence and quotes.

Works on de-identified units only. A unit's learners are its speaker (a turn) or
its authors (a document paragraph); its arm is theirs (``mixed`` when authors come
from both arms, ``none`` for facilitators and documents without learner authors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from compendium.qualitative.agreement import matrix
from compendium.qualitative.deidentify import PLACEHOLDER

FREQUENCY_COLUMNS = ["level", "id", "label", "by", "group", "units", "sources", "participants"]
QUOTE_COLUMNS = ["code", "rank", "source_id", "unit", "source_type", "speaker", "arm", "quote"]


def unit_people(units: pd.DataFrame, sources: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Each unit with its source type, its learners and their arm."""
    arm_of = participants.set_index("participant_id")["group"].to_dict()
    meta = sources.set_index("source_id")
    learners, arms = [], []
    for sid, speaker, role in zip(units["source_id"], units["speaker"], units["speaker_role"]):
        if meta.at[sid, "type"] == "document":
            people = list(meta.at[sid, "participants"])
        else:
            people = [speaker] if role == "participant" else []
        groups = sorted({arm_of[p] for p in people if p in arm_of})
        learners.append(people)
        arms.append(groups[0] if len(groups) == 1 else ("mixed" if groups else "none"))
    return units.assign(source_type=units["source_id"].map(meta["type"]), learners=learners, arm=arms)


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


def exemplar_quotes(coded: pd.DataFrame, per_code: int = 2, target_length: int = 160) -> pd.DataFrame:
    """Quotes per code, chosen by a fixed rule: units spoken or written by learners,
    those carrying the fewest other codes first (the clearest examples), then the
    fewest redactions, then the length nearest ``target_length`` characters, then
    source and unit order; at most one quote per source."""
    learner_units = coded[coded["learners"].map(len) > 0].copy()
    learner_units["n_codes"] = learner_units.groupby(["source_id", "unit"])["code"].transform("size")
    learner_units["distance"] = (learner_units["text"].str.len() - target_length).abs()
    learner_units["redactions"] = learner_units["text"].str.count(PLACEHOLDER.pattern)
    rows = []
    for code, part in learner_units.groupby("code", sort=True):
        ranked = part.sort_values(["n_codes", "redactions", "distance", "source_id", "unit"], kind="stable")
        ranked = ranked.drop_duplicates("source_id").head(per_code)
        for rank, r in enumerate(ranked.itertuples(index=False), start=1):
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
                    "quote": r.text,
                }
            )
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)
