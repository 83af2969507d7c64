"""Thematic analysis of the consensus coding."""

from __future__ import annotations

import itertools

import pytest

from compendium.qualitative import themes
from compendium.qualitative.deidentify import Deidentifier, deidentify_units


@pytest.fixture(scope="module")
def analysed(shipped_study):
    s = shipped_study
    units, _ = deidentify_units(s.units, Deidentifier())
    people = themes.unit_people(units, s.sources, s.participants)
    return s, people, themes.coded_units(people, s.codings, s.codebook)


def test_frequencies_count_units_sources_and_learners(analysed):
    s, people, coded = analysed
    freq = themes.frequencies(coded, s.codebook)
    overall = freq[(freq["by"] == "all") & (freq["level"] == "code")].set_index("id")
    cons = s.codings[s.codings["coder"] == "consensus"]
    for code in s.codebook["code"]:
        rows = cons[cons["code"] == code]
        assert overall.at[code, "units"] == len(rows)  # by hand from the consensus file
        assert overall.at[code, "sources"] == rows["source_id"].nunique()
    by_type = freq[(freq["by"] == "source_type") & (freq["level"] == "code")]
    sums = by_type.groupby("id")["units"].sum()
    assert sums.to_dict() == overall["units"].loc[sums.index].to_dict()
    by_arm = freq[(freq["by"] == "arm") & (freq["level"] == "theme")]
    assert set(by_arm["group"]) <= {"control", "intervention", "mixed", "none"}


def test_cooccurrence_against_a_brute_force_count(analysed):
    s, people, coded = analysed
    codes = list(s.codebook["code"])
    co = themes.cooccurrence(people, s.codings, codes).set_index(["code_1", "code_2"])
    per_unit = coded.groupby(["source_id", "unit"])["code"].apply(set)
    per_source = coded.groupby("source_id")["code"].apply(set)
    for a, b in itertools.combinations_with_replacement(codes, 2):
        assert co.at[(a, b), "units"] == sum(a in c and b in c for c in per_unit)
        assert co.at[(a, b), "sources"] == sum(a in c and b in c for c in per_source)


def test_quotes_are_deidentified_traceable_and_deterministic(analysed, pristine):
    import pandas as pd

    s, people, coded = analysed
    quotes = themes.exemplar_quotes(coded, per_code=2)
    again = themes.exemplar_quotes(coded.sample(frac=1, random_state=3), per_code=2)
    pd.testing.assert_frame_equal(quotes, again)
    planted = pd.read_csv(pristine.planted)
    text = {(r.source_id, int(r.unit)): r.text for r in people.itertuples()}
    for q in quotes.itertuples():
        assert text[(q.source_id, q.unit)] == q.quote  # traceable to its source and unit
        assert not any(p in q.quote for p in planted["text"])
        assert q.speaker not in s.withdrawn
    assert quotes.groupby("code")["source_id"].apply(lambda x: x.is_unique).all()
    assert set(quotes["code"]) == set(s.codebook["code"])
