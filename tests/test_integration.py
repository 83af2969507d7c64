"""Joint display, framework edges and participant flow."""

from __future__ import annotations

import pandas as pd
import pytest

from compendium import integration, themes
from compendium.config import Arms
from compendium.deidentify import Deidentifier, deidentify_units
from compendium.outcomes import derive, table2


@pytest.fixture(scope="module")
def pieces(shipped_study):
    s = shipped_study
    units, _ = deidentify_units(s.units, Deidentifier())
    people = themes.unit_people(units, s.sources, s.participants)
    coded = themes.coded_units(people, s.codings, s.codebook)
    learners = derive(s.participants, s.survey, s.cc_items, s.support_items)
    return s, people, coded, learners


def test_pairs_are_parsed_with_a_clear_error():
    assert integration.parse_pairs("a:b:same; c:d:inverse") == [("a", "b", "same"), ("c", "d", "inverse")]
    with pytest.raises(ValueError, match="code:outcome:same"):
        integration.parse_pairs("a:b")


def test_joint_display_counts_by_hand(pieces):
    s, people, coded, learners = pieces
    interviewed = {p for ps in people["learners"] for p in ps}
    quotes = themes.exemplar_quotes(coded)
    joint = integration.joint_display([("leadership_development", "leadership_role", "same"),
                                       ("mentorship_support_needs", "perceived_support", "inverse")],
                                      coded, learners, quotes, interviewed, Arms()).set_index("code")
    talkers = set(coded.loc[coded["code"] == "leadership_development"].explode("learners")["learners"].dropna())
    outcome = learners.set_index("participant_id")["leadership_role"]
    both = [p for p in sorted(interviewed) if pd.notna(outcome.get(p))]
    said = {p for p in both if p in talkers}
    reported = {p for p in both if bool(outcome[p])}
    row = joint.loc["leadership_development"]
    assert row["learners_both"] == len(both)
    assert row["said_and_reported"] == len(said & reported)
    assert row["neither"] == len(set(both) - said - reported)
    agree = 100 * (len(said & reported) + len(set(both) - said - reported)) / len(both)
    assert row["agreement_percent"] == pytest.approx(agree)
    judged = "convergent" if agree >= 70 else "dissonant" if agree <= 40 else "complementary"
    assert row["judgement"] == judged
    inverse = joint.loc["mentorship_support_needs"]
    assert inverse["agreement_percent"] == pytest.approx(
        100 * (inverse["said_not_reported"] + inverse["reported_not_said"]) / inverse["learners_both"])
    assert row["quote"] and row["quote_source"]


def test_judgement_thresholds_come_from_params(pieces):
    s, people, coded, learners = pieces
    interviewed = {p for ps in people["learners"] for p in ps}
    quotes = themes.exemplar_quotes(coded)
    pair = [("leadership_development", "leadership_role", "same")]
    strict = integration.joint_display(pair, coded, learners, quotes, interviewed, Arms(), 101, -1)
    lenient = integration.joint_display(pair, coded, learners, quotes, interviewed, Arms(), 0, -1)
    assert strict["judgement"].iloc[0] == "complementary" and lenient["judgement"].iloc[0] == "convergent"


def test_framework_edges_follow_cooccurrence(pieces):
    s, people, coded, _ = pieces
    co = themes.cooccurrence(people, s.codings, list(s.codebook["code"]))
    edges = integration.framework_edges(co, s.codebook)
    theme_of = dict(zip(s.codebook["code"], s.codebook["theme"]))
    assert set(zip(edges["from_theme"], edges["to_theme"])) <= {
        ("motivations", "strategies"), ("strategies", "empowerment"), ("challenges", "strategies")}
    lookup = {(a, b): n for a, b, n in zip(co["code_1"], co["code_2"], co["sources"])}
    for e in edges.itertuples():
        assert e.sources == lookup.get((e.source_code, e.target_code), lookup.get((e.target_code, e.source_code)))
        assert theme_of[e.source_code] == e.from_theme


def test_flow_counts_add_up(pieces):
    s, _, _, learners = pieces
    flow = integration.flow_counts(s.flow, table2(learners), Arms()).set_index("arm")
    for arm in ("control", "intervention"):
        r = flow.loc[arm]
        assert r["allocated"] - r["withdrew"] - r["no_post_wave"] == r["followed_up"]
        assert r["analysed_leadership_role"] <= r["followed_up"]
