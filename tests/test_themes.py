"""Thematic analysis of the consensus coding."""

from __future__ import annotations

import itertools

import pandas as pd
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


# --------------------------------------------------------------------------- theme profiles, on unseen studies


def _analyse(raw):
    from compendium.data.contract import load_study

    s = load_study(raw)
    units, _ = deidentify_units(s.units, Deidentifier())
    people = themes.unit_people(units, s.sources, s.participants)
    return s, people, themes.coded_units(people, s.codings, s.codebook)


@pytest.fixture(scope="module", params=[1, 2, 5])
def unseen(request, tmp_path_factory):
    from compendium.synthesize import synthesize

    raw = tmp_path_factory.mktemp(f"independent{request.param}") / "raw"
    synthesize(raw, seed=request.param, design="independent")
    return _analyse(raw)


def test_theme_profile_against_a_count_by_hand(unseen):
    s, people, coded = unseen
    profile = themes.theme_profile(coded, people, s.codebook, s.participants)
    assert list(dict.fromkeys(profile["theme"])) == list(dict.fromkeys(s.codebook["theme"]))
    arm_of = s.participants.set_index("participant_id")["group"].to_dict()
    speakers = {p for ps in people["learners"] for p in ps if p in arm_of}
    for theme in dict.fromkeys(s.codebook["theme"]):
        rows = profile[profile["theme"] == theme]
        mine = coded[coded["theme"] == theme]
        overall = rows[rows["by"] == "all"].iloc[0]
        assert overall["sources"] == mine["source_id"].nunique()
        assert overall["sources_total"] == people["source_id"].nunique()
        raised = {p for ps in mine["learners"] for p in ps if p in arm_of}
        assert overall["learners"] == len(raised) and overall["learners_total"] == len(speakers)
        for r in rows[rows["by"] == "arm"].itertuples():
            members = {p for p in speakers if arm_of[p] == r.group}
            assert (r.learners, r.learners_total) == (len(raised & members), len(members))
            assert r.percent == pytest.approx(100 * len(raised & members) / len(members))
        for r in rows[rows["by"] == "source_type"].itertuples():
            of_type = people.loc[people["source_type"] == r.group, "source_id"].nunique()
            assert (r.sources, r.sources_total) == (
                mine.loc[mine["source_type"] == r.group, "source_id"].nunique(),
                of_type,
            )
        if s.participants["site"].nunique() > 1:
            assert set(rows.loc[rows["by"] == "site", "group"]) == set(s.participants["site"])


def test_theme_pairs_stay_within_a_theme_and_count_like_the_cooccurrence_table(unseen):
    s, people, coded = unseen
    pairs = themes.theme_pairs(coded, s.codebook)
    co = themes.cooccurrence(people, s.codings, list(s.codebook["code"])).set_index(["code_1", "code_2"])
    theme_of = dict(zip(s.codebook["code"], s.codebook["theme"]))
    sizes = s.codebook.groupby("theme").size()
    assert len(pairs) == sum(n * (n - 1) // 2 for n in sizes)  # one-code themes give none
    for r in pairs.itertuples():
        assert theme_of[r.code_1] == theme_of[r.code_2] == r.theme
        assert r.units_both == co.at[(r.code_1, r.code_2), "units"]  # the independent matrix product
        assert r.sources_both == co.at[(r.code_1, r.code_2), "sources"]


def test_resolution_counts_the_disagreements_of_the_irr_table(unseen):
    from compendium.qualitative.agreement import irr_table

    s, people, coded = unseen
    table = themes.resolution(people, s.codings, s.codebook, s.coders, s.consensus)
    irr = irr_table(people, s.codings, s.codebook, s.coders, replicates=20).set_index("code")
    for r in table.itertuples():
        # disagreements from the agreement table: units - both present - both absent
        a, b = irr.at[r.code, "coder_1_count"], irr.at[r.code, "coder_2_count"]
        n = irr.at[r.code, "units"]
        pct = irr.at[r.code, "percent_agreement"]
        assert r.disagreements == round(n * (100 - pct) / 100)
        assert r.applied + r.left_off == r.disagreements == r.with_coder_1 + r.with_coder_2
        assert r.disagreements <= a + b
    # the independent design names a stand-in coder: it is the first or second, and
    # the consensus sides with it on every disagreement
    assert s.consensus.startswith("coder:")
    side = {"first": "with_coder_1", "second": "with_coder_2"}[table["stand_in"].iloc[0]]
    assert (table[side] == table["disagreements"]).all()


def test_resolution_by_majority_leaves_every_two_coder_disagreement_uncoded(unseen):
    from compendium.data.contract import majority_coding

    s, people, coded = unseen
    codings = s.codings[s.codings["coder"] != "consensus"]
    codings = pd.concat([codings, majority_coding(codings).assign(coder="consensus")], ignore_index=True)
    table = themes.resolution(people, codings, s.codebook, s.coders, "majority")
    assert (table["applied"] == 0).all() and (table["consensus"] == "majority").all()
    assert themes.resolution(people, codings, s.codebook, s.coders[:1], "majority").empty  # one coder


def test_no_sentence_is_read_twice_among_the_quotes(unseen):
    s, people, coded = unseen
    quotes = themes.exemplar_quotes(coded, per_code=3)
    seen: dict[str, int] = {}
    for q in quotes.itertuples():
        for sentence in themes.sentences(q.quote):
            assert sentence not in seen, f"{sentence!r} in two quotes"
            seen[sentence] = 1
    assert not quotes.duplicated(["source_id", "unit"]).any()


def test_the_quote_rule_passes_over_a_repeated_sentence():
    """Hand-made: two units share a sentence; the second code's best unit is skipped."""
    text = "We wrote to the dean about the exam question. Nothing changed that year."
    coded = pd.DataFrame(
        {
            "source_id": ["a", "b", "c"],
            "unit": [1, 1, 1],
            "code": ["x", "y", "y"],
            "text": [text, text, "A different account of the same meeting with the dean."],
            "learners": [["L1"], ["L2"], ["L3"]],
            "speaker": ["L1", "L2", "L3"],
            "source_type": "interview",
            "arm": "control",
            "site": "",
        }
    )
    quotes = themes.exemplar_quotes(coded, per_code=1)
    assert quotes.set_index("code").at["y", "source_id"] == "c"


def test_sentences_do_not_end_at_a_title():
    assert themes.sentences("I wrote to Dr. Amina Rauf about the timetable. She replied the same day with a plan.") == {
        "i wrote to dr. amina rauf about the timetable.",
        "she replied the same day with a plan.",
    }


def test_quotes_speak_for_both_arms_and_every_kind_of_source_when_the_units_are_equally_clear():
    """Among units equally clear (as few other codes, as few redactions), the arm and
    then the source type quoted least so far come first, over every code; a clearer unit
    still wins whatever its arm."""
    import pandas as pd

    from compendium.qualitative.themes import exemplar_quotes

    def unit(code, source, n, arm, kind, text):
        return {
            "code": code,
            "source_id": source,
            "unit": n,
            "text": text,
            "learners": ["L1"],
            "speaker": "L1",
            "source_type": kind,
            "arm": arm,
            "site": "",
        }

    coded = pd.DataFrame(
        [
            unit("a_code", "S1", 1, "control", "interview", "We wrote to the dean about the curriculum twice."),
            unit("a_code", "S2", 1, "control", "interview", "Our group asked for a session on racism in clinics."),
            unit("b_code", "S3", 1, "control", "interview", "I spoke up on the ward when a patient was mocked."),
            unit("b_code", "S4", 1, "intervention", "document", "The petition gathered names from three year groups."),
            unit("b_code", "S5", 1, "intervention", "interview", "The mentor helped me plan what to say next time."),
        ]
    )
    quotes = exemplar_quotes(coded, per_code=1).set_index("code")["source_id"]
    assert quotes["a_code"] in ("S1", "S2")  # a control interview: nothing quoted yet
    assert quotes["b_code"] == "S4"  # another arm first, then another source type (S5 shares a_code's)
    two_codes = pd.concat([coded, pd.DataFrame([unit("c_code", "S4", 1, "intervention", "document", "x")])])
    quotes = exemplar_quotes(two_codes, per_code=1).set_index("code")["source_id"]
    assert quotes["b_code"] == "S5"  # S4 carries another code now: the clearest intervention unit wins
