"""The rules that choose the manuscript's words: each test pins a threshold or a case
measured on a replication team's data (issue 11), so that a broken rule fails here."""

from __future__ import annotations

import math

import pytest

from compendium.reporting import wording as w

# --------------------------------------------------------------------------- English


@pytest.mark.parametrize(
    "items, expected", [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_join(items, expected):
    assert w.join(items) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        ("interview", "interviews"),
        ("focus group", "focus groups"),
        ("box", "boxes"),
        ("study", "studies"),
        ("survey", "surveys"),
    ],
)
def test_plural(word, expected):
    assert w.plural(word) == expected


def test_counts_say_one_in_words_and_use_the_plural_otherwise():
    assert w.count(1, "interview") == "one interview"
    assert w.count(0, "document") == "0 documents"
    assert w.count(4, "interview") == "4 interviews"
    assert w.count(None, "coder") == "an unknown number of coders"


# --------------------------------------------------------------------------- source types


NOUNS = {"focus_group": ("focus group", "focus groups")}


def test_source_types_list_only_the_types_present():
    # measured: "4 interviews, 0 focus groups and 0 documents"
    counts = {"interview": 4, "focus_group": 0, "document": 0}
    assert w.source_types(counts, NOUNS) == "4 interviews"
    assert w.source_type_names(counts, NOUNS) == "interviews"
    # measured: "themes ran through the interviews, focus groups and documents" with only interviews
    assert "focus group" not in w.source_type_names(counts, NOUNS)
    assert "document" not in w.source_type_names(counts, NOUNS)


def test_source_types_singular_and_several():
    assert (
        w.source_types({"interview": 1, "focus_group": 2, "document": 0}, NOUNS) == "one interview and 2 focus groups"
    )
    assert (
        w.source_type_names({"interview": 3, "focus_group": 2, "document": 1}, NOUNS)
        == "interviews, focus groups and one document"
    )
    assert w.source_types({"interview": 0, "document": None}) == "no sources"


# --------------------------------------------------------------------------- direction and balance


def test_direction_follows_the_printed_values():
    assert w.direction(25.0, 15.0) == "more"
    assert w.direction(15.0, 25.0) == "fewer"
    # measured: "held more learners with previous activism (47% against 47%)"
    assert w.direction(47.2, 46.8) == "the same share"
    assert w.direction(47.2, 46.8, decimals=1) == "more"
    assert w.direction(None, 3.0) == "not estimable"
    assert w.frequency(45, 12) == "more frequent" and w.frequency(12, 45) == "less frequent"
    assert w.frequency(30.2, 29.9) == "as frequent"


def test_share_phrase_never_says_more_beside_equal_percentages():
    text = w.share_phrase(47.2, 46.8, "the intervention arm", "learners with previous activism")
    assert text == "the intervention arm held the same share of learners with previous activism, 47% against 47%"
    assert " more " not in f" {text} "
    assert "suppressed" in w.share_phrase(None, 40.0, "the intervention arm", "learners")


@pytest.mark.parametrize(
    "smd, verdict",
    [
        (0.0, "similar"),
        (0.099, "similar"),
        (-0.099, "similar"),
        (0.1, "a small difference"),
        (-0.15, "a small difference"),
        (0.1999, "a small difference"),
        (0.2, "differed"),
        (-0.25, "differed"),
        (None, "not estimable"),
        (math.nan, "not estimable"),
    ],
)
def test_balance_thresholds(smd, verdict):
    assert w.balance(smd) == verdict


def test_balance_summary_groups_by_verdict():
    text = w.balance_summary(
        [
            ("gender", 0.05, ""),
            ("age", -0.27, "mean 26.8 against 27.4"),
            ("ethnicity", None, ""),
            ("previous activism", 0.15, "x"),
        ]
    )
    assert text.startswith("The arms were similar in gender;")
    assert "they differed slightly in previous activism (x)" in text
    assert "differed in age (mean 26.8 against 27.4)" in text
    assert "balance in ethnicity was not estimable" in text
    assert w.balance_summary([("age", 0.01, "")]) == "The arms were similar in age."


# --------------------------------------------------------------------------- significance


def test_holm_each_outcome_holds_only_if_its_own_adjusted_p_is_below_alpha():
    # measured: "every difference held after Holm's correction" with Holm p = .088
    text = w.holm_sentence([("leadership", 0.022, 0.088), ("participation", 0.001, 0.004)])
    assert "participation held" in text
    assert "those in leadership did not" in text
    assert "All" not in text and "every" not in text.lower()


def test_holm_all_none_and_one():
    assert w.holm_sentence([("a", 0.001, 0.002), ("b", 0.01, 0.02)]) == "Both differences held after Holm's correction."
    assert w.holm_sentence([(x, 0.001, 0.002) for x in "abcd"]) == "All four differences held after Holm's correction."
    none = w.holm_sentence([("a", 0.03, 0.06), ("b", 0.4, 0.4)])
    assert none.startswith("None of the differences held") and "(a had p < .05 before it)" in none
    assert w.holm_sentence([("a", 0.5, 0.5)]) == "The difference in a did not hold after Holm's correction."
    assert "no test was estimable" in w.holm_sentence([("a", 0.001, 0.002), ("b", None, None)])
    # the boundary: p_holm equal to alpha does not hold
    assert "did not" in w.holm_sentence([("a", 0.05, 0.05)])


def test_adjusted_sentence_uses_the_ten_percent_rule_and_its_own_p():
    text = w.adjusted_sentence([("a", 6.0, 5.65, 0.001), ("b", 2.0, 3.0, 0.2)])
    assert "less than 10% for a" in text and "10% or more for b" in text
    assert "a had p < .05 and b did not" in text
    assert w.adjusted_sentence([("a", 2.0, 2.1, 0.3)]).endswith("did not have p < .05.")
    assert "not estimable for a" in w.adjusted_sentence([("a", None, 2.0, 0.01)])


# --------------------------------------------------------------------------- scales and coders


@pytest.mark.parametrize(
    "alpha, verdict",
    [
        (0.9, "internally consistent"),
        (0.7, "internally consistent"),
        (0.699, "of borderline internal consistency"),
        (0.6, "of borderline internal consistency"),
        (0.59, "not internally consistent"),
        (None, "of unknown internal consistency (alpha not estimable)"),
    ],
)
def test_consistency_thresholds(alpha, verdict):
    assert w.consistency(alpha) == verdict


def test_consistency_sentence_says_both_only_when_both_agree():
    same = w.consistency_sentence("support scale", [("before", 0.8, ".80"), ("after", 0.89, ".89")])
    assert (
        same
        == "The support scale was internally consistent at both surveys (Cronbach's alpha .80 before and .89 after)."
    )
    mixed = w.consistency_sentence("support scale", [("before", 0.8, ".80"), ("after", 0.55, ".55")])
    assert "both" not in mixed and "not internally consistent after" in mixed


@pytest.mark.parametrize(
    "kappa, band",
    [
        (-0.1, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.35, "fair"),
        (0.55, "moderate"),
        (0.75, "substantial"),
        (0.85, "almost perfect"),
        (None, "not estimable"),
    ],
)
def test_kappa_bands(kappa, band):
    assert w.kappa_band(kappa) == band


def test_rule_values_are_the_thresholds():
    values = w.rule_values()
    assert values["wording.smd_similar"] == w.SMD_SIMILAR == 0.1
    assert values["wording.smd_differed"] == w.SMD_DIFFERED == 0.2
    assert values["wording.alpha"] == w.ALPHA == 0.05
    assert values["wording.alpha_consistent"] == 0.7 and values["wording.alpha_borderline"] == 0.6
    assert w.apa_number(0.05) == ".05" and w.apa_number(2.0) == "2"


# --------------------------------------------------------------------------- qualitative analysis


def test_spread_uses_the_printed_percentages_and_the_threshold():
    assert w.THEME_SPREAD_POINTS == 10
    similar = w.spread_sentence([("the control arm", 21, 28, 75.0), ("the intervention arm", 22, 29, 75.9)])
    assert similar.startswith("Learners raised it in similar shares in each arm")
    assert "21 of 28 learners of the control arm (75%)" in similar
    # 80.4 and 70.6 print as 80% and 71%: 9 points, similar; 80.6 prints 81%: 10 points, named
    assert "similar" in w.spread_sentence([("A", 1, 1, 80.4), ("B", 1, 1, 70.6)])
    named = w.spread_sentence([("A", 1, 1, 80.6), ("B", 1, 1, 70.6)])
    assert named.startswith("Learners raised it more often in A:")  # two groups: a comparative
    assert w.spread_sentence([("A", 1, 1, 50.0)]) == ""  # one group: nothing to compare
    assert w.spread_sentence([("A", 0, 0, math.nan), ("B", 1, 2, 50.0)]) == ""
    three = w.spread_sentence([("site X", 2, 4, 50.0), ("site Y", 4, 4, 100.0), ("site Z", 4, 4, 100.0)], "site")
    assert "most often in site Y and site Z" in three


def test_cooccurrence_sentence_cases():
    assert w.cooccurrence_sentence([]) == ""
    assert w.cooccurrence_sentence([("A", "B", 1, 2)]) == (
        "Its two codes were applied to the same unit once and occurred in the same source twice."
    )
    assert "never applied to the same unit" in w.cooccurrence_sentence([("A", "B", 0, 3)])
    many = w.cooccurrence_sentence([("A", "B", 2, 3), ("A", "C", 0, 5), ("B", "C", 2, 4)])
    assert many.startswith("Two of its 3 pairs of codes were applied to the same unit at least once")
    assert "b and c most often (2 units; both occurred in 4 sources)" in many  # a tie on units: more sources first
    none = w.cooccurrence_sentence([("A", "B", 0, 1), ("A", "C", 0, 5), ("B", "C", 0, 0)])
    assert "a and c occurred in the same source most often (5 times)" in none
    assert w.cooccurrence_sentence([("A", "B", 1, 1), ("A", "C", 1, 1), ("B", "C", 1, 1)]).startswith("All 3 pairs")


@pytest.mark.parametrize(
    ("mode", "stand_in", "expected"),
    [
        ("file", "", "the consensus coding supplied with the data applied the code in 3 of them and left it off in 15"),
        ("coder", "second", "so the second coder's coding stood in for it"),
        ("coder", "", "so one coder's coding stood in for it"),
        ("majority", "", "kept only where more than half of the coders applied it"),
    ],
)
def test_resolution_sentence_follows_where_the_consensus_came_from(mode, stand_in, expected):
    text = w.resolution_sentence("hierarchy", ".52", 289, 18, 3, 15, 8, 10, mode, stand_in)
    assert text.startswith("Hierarchy was flagged for low agreement (kappa .52): the coders differed on it in 18 of")
    assert expected in text


def test_resolution_sentence_without_disagreement():
    text = w.resolution_sentence("rare code", "", 40, 0, 0, 0, 0, 0, "file")
    assert text == (
        "Rare code was flagged for low agreement, although the coders never differed on it in the 40 units both coded."
    )


def test_theme_paragraph_for_any_codebook():
    one = w.theme_paragraph(["Leadership"], 37, 20, 46, 23, 57, [("interview", "interviews", 11, 23)], top=("X", 37))
    assert one.startswith("The theme grouped one code (Leadership).")
    assert "in 20 of the 46 sources, spoken or written by 23 of the 57 learners" in one
    assert "most frequent code" not in one  # one code: nothing to rank
    assert one.endswith("Its code was not flagged for low agreement between the coders.")
    empty = w.theme_paragraph(["A", "B"], 0, 0, 10, 0, 8)
    assert empty.endswith("No unit of the consensus coding carried it.")
    types = [("interview", "interviews", 5, 5), ("focus group", "focus groups", 0, 2), ("document", "documents", 0, 0)]
    para = w.theme_paragraph(["A", "B"], 9, 5, 7, 4, 6, types, agreement_measured=False)
    assert "It appeared in all 5 interviews, and in no focus groups." in para
    assert "flagged" not in para  # one coder: nothing about agreement
    every = w.theme_paragraph(
        ["A"], 3, 2, 2, 0, 0, [("interview", "interviews", 1, 1), ("focus group", "focus groups", 1, 1)]
    )
    assert "the one interview and the one focus group, so in every type of source" in every
    assert "learners" not in every.split("It appeared")[0]  # no learner in the data: no learner count


# --------------------------------------------------------------------------- integration


def test_arm_gap_and_surprise():
    assert w.arm_gap(39.3, 41.4) == "similar" and w.arm_gap(5, 40) == "intervention" and w.arm_gap(64, 48) == "control"
    assert w.arm_gap(30.4, 40.5) == "intervention"  # printed 30% and 40%: 10 points apart
    assert w.arm_gap(30.6, 40.4) == "similar"  # printed 31% and 40%: 9 points
    assert w.arm_gap(None, 3) == w.NOT_ESTIMABLE
    # issue 13: talk 39% against 41% by arm while the outcome is 5% against 40%
    assert w.joint_surprise((39.3, 41.4), (5, 40))
    assert not w.joint_surprise((20, 45), (5, 40))  # both higher in the intervention arm
    # inverse link: the code should be raised more where the outcome is rarer
    assert not w.joint_surprise((64.3, 48.3), (30, 75), "inverse")
    assert w.joint_surprise((48.3, 64.3), (30, 75), "inverse")
    assert not w.joint_surprise((None, 3), (5, 40))


def test_joint_discussion_speaks_only_of_dissonant_or_surprising_pairs():
    arms = ("the control arm", "the intervention arm")
    quiet = w.joint_discussion(
        "a code", "an outcome", "convergent", ".50", 40, (10, 2, 2, 26), (10, 40), (12, 45), arms
    )
    assert quiet == ""
    surprising = w.joint_discussion(
        "leadership development",
        "leadership role",
        "convergent",
        ".46",
        57,
        (12, 11, 3, 31),
        (39.3, 41.4),
        (5, 40),
        arms,
    )
    assert surprising.startswith("*Leadership development and leadership role.* The pair was convergent among the 57")
    assert "about as often in both arms (39% in the control arm against 41% in the intervention arm)" in surprising
    assert "5% against 40%" in surprising
    dissonant = w.joint_discussion(
        "discrimination", "competence", "dissonant", "-.04", 57, (11, 19, 11, 16), (20, 50), (12, 45), arms
    )
    assert "no better than chance" in dissonant and "11 raised it and reported the outcome" in dissonant
    assert "Yet" not in dissonant  # the arms agree (both higher in the intervention arm)
    assert "did not report" in w.joint_discussion(
        "need", "support", "dissonant", ".00", 30, (1, 2, 3, 4), (20, 50), (50, 20), arms, "inverse"
    )
    assert w.joint_discussion("a", "b", "not assessable", "", 5, (1, 1, 1, 2), (0, 100), (0, 100), arms) == ""


def test_joint_summary():
    assert w.joint_summary(0, 0) == ""
    assert w.joint_summary(0, 3).startswith("No pair of the joint display was dissonant, and in every pair")
    assert w.joint_summary(0, 1).startswith("No pair of the joint display was dissonant, and in the pair")
    assert w.joint_summary(1, 5) == (
        "One of the 5 pairs of the joint display was dissonant or surprising by the rules stated with it in "
        "the Results."
    )


def test_a_yes_no_characteristic_is_told_by_its_yes_level_whatever_the_labels():
    assert w.yes_level(["no", "yes"]) == "yes"
    assert w.yes_level(["Yes", "No"]) == "Yes"
    assert w.yes_level(["FALSE", "TRUE"]) == "TRUE"
    assert w.yes_level(["Female", "Male"]) is None  # not a yes/no pair
    assert w.yes_level(["yes", "no", "unsure"]) is None
    assert w.yes_level(["yes", "y"]) is None  # two yeses: no "no" level


def test_the_between_arms_remark_of_the_joint_display_is_said_once():
    assert w.joint_between_arms(0) == ""
    one, three = w.joint_between_arms(1), w.joint_between_arms(3)
    assert one.startswith("For the pair above that was not dissonant") and "three pairs above" in three
    surprising = w.joint_discussion(
        "a code", "an outcome", "convergent", ".40", 50, (10, 5, 5, 30), (40, 41), (5, 40), ("the c arm", "the i arm")
    )
    assert surprising and "whatever link" not in surprising.lower()


def test_outcome_design_separates_the_change_from_the_outcomes_after():
    text = w.outcome_design(["increased competence"], ["a", "b", "c"], "0.5", True)
    assert text.startswith("Increased competence is a change within learners")
    assert "at least 0.5 points" in text and "the other three outcomes (a, b and c) compare the arms after" in text
    assert "value before it" in text and "value before it" not in w.outcome_design([], ["a", "b"], "0.5", False)
    assert w.outcome_design([], ["a", "b"], "0.5", False).startswith("The two outcomes (a and b) compare")
    assert w.outcome_design([], [], "0.5", False) == ""


def test_limitations_follow_the_description_and_the_numbers():
    text = w.limitations(w.NOT_REPORTED, [("age", "0.27")], "0.1", 1, (57, 200), "Synthetic.")
    assert "does not report how learners were allocated" in text and "age (|SMD| 0.27)" in text
    assert "one site" in text and "57 of the 200 learners" in text and text.endswith("Synthetic.")
    other = w.limitations("randomised by computer", [], "0.1", 3, None)
    assert "reports it: randomised by computer." in other and "No baseline characteristic differed" in other
    assert "3 sites" in other and "qualitative" not in other and "ynthetic" not in other


def test_limitations_name_the_characteristics_whose_balance_could_not_be_judged():
    text = w.limitations("chosen by timetable.", [], "0.1", 2, (5, 50), unjudged=["gender"])
    assert "reports it: chosen by timetable. Whether" in text  # no nested parentheses, no double stop
    assert "No baseline characteristic whose balance could be judged differed" in text
    assert "Balance in gender could not be judged" in text


def test_adjusted_sentence_names_adjustment_before_saying_it():
    moved_only = w.adjusted_sentence([("a", 2.0, 3.0, 0.01)])
    assert moved_only.startswith("Adjustment changed the odds ratio by 10% or more for a")
    both = w.adjusted_sentence([("a", 2.0, 2.05, 0.01), ("b", 2.0, 3.0, 0.01)])
    assert "less than 10% for a; it changed the odds ratio by 10% or more for b" in both


def test_joint_summary_claims_agreement_only_for_pairs_that_were_judged():
    """A hand-made study with 7 learners in both data sets: both pairs 'not assessable',
    yet the discussion said the strands 'tell the same story where they meet'."""
    none = w.joint_summary(0, 2, 0)
    assert "same story" not in none and "dissonant" not in none
    assert none.startswith("No pair of the joint display could be judged")
    assert w.joint_summary(0, 1, 0).startswith("The pair of the joint display could not be judged")
    some = w.joint_summary(0, 3, 2)
    assert "same story" not in some and "one of its 3 pairs could not be judged" in some
    assert "same story" in w.joint_summary(0, 3, 3)  # every pair judged: the old sentence stands


def test_a_tie_for_the_most_frequent_code_names_every_tied_code():
    """Hand-made study: two codes of a three-code theme had 4 units each, and the
    paragraph named one of them 'its most frequent code'."""
    tied = w.theme_paragraph(["A", "B", "C"], 10, 6, 6, 7, 7, top=(["B", "C"], 4))
    assert "Its most frequent codes were b and c, tied at 4 units each." in tied
    assert "most frequent code was" not in tied
    assert "applied equally often (2 units each)" in w.theme_paragraph(["A", "B"], 3, 2, 2, 1, 1, top=(["A", "B"], 2))
    assert "Its most frequent code was b (4 units)." in w.theme_paragraph(["A", "B"], 5, 2, 2, 1, 1, top=(["B"], 4))
    assert "Its most frequent code was x (4 units)." in w.theme_paragraph(["X", "Y"], 5, 2, 2, 1, 1, top=("X", 4))


def test_majority_consensus_that_dropped_two_disagreements_says_both():
    """Hand-made study: 'so the code was left off in all 2'."""
    two = w.resolution_sentence("worn out", ".75", 27, 2, 0, 2, 1, 1, "majority")
    assert two.endswith("so the code was left off in both.") and "all 2" not in two
    assert w.resolution_sentence("x", ".5", 27, 3, 0, 3, 1, 2, "majority").endswith("left off in all 3.")


def test_a_scale_inconsistent_at_both_surveys_is_consistent_at_neither():
    """Hand-made study: 'The support scale was not internally consistent at both surveys'."""
    text = w.consistency_sentence("support scale", [("before", -0.05, "-.05"), ("after", 0.25, ".25")])
    assert (
        text
        == "The support scale was internally consistent at neither survey (Cronbach's alpha -.05 before and .25 after)."
    )


def test_a_value_that_rounds_to_zero_prints_without_a_sign():
    """A bootstrap limit of -2.1e-15 (kappa of a code one coder never applied) printed
    '[-.00, .00]' in the text and '−0.00 to 0.00' in Table 3; -0.004 is zero at two
    decimals as 0.004 is. Reference: Python's own formatting keeps the sign
    (f"{-2.1e-15:.2f}" == '-0.00'), which is what the fix removes."""
    from compendium.reporting import manuscript, tables

    assert f"{-2.1e-15:.2f}" == "-0.00"
    assert w.unsigned_zero("-0.00 to 0.00") == "0.00 to 0.00"
    assert w.unsigned_zero("[-.00, .00]") == "[.00, .00]"
    assert (
        w.unsigned_zero("-0.001 and -0.50 and x-0 and -0.0 and -10.00") == "-0.001 and -0.50 and x-0 and 0.0 and -10.00"
    )
    assert tables.minus_signs("-0.00 to 0.00") == "0.00 to 0.00"
    assert tables.minus_signs("-0.03 to 0.00") == "\u22120.03 to 0.00"
    n = manuscript.Numbers({"k": -2.1094237e-15, "m": -0.004, "a": -0.03})
    assert (n.apa("k"), n.num("m"), n.apa("a")) == (".00", "0.00", "-.03")


def test_resolution_sentences_name_the_coders_and_read_plainly_when_all_were_kept():
    """A hand-made study (coders hyejin, mereana, tunde; majority coding) read 'so the
    code was applied in 1 and left off in 0'; a consensus file made the text side
    'with Coder A' whatever the coders were called, while Table 3 heads their columns
    with their names."""
    one = w.resolution_sentence("open letters", ".66", 48, 1, 1, 0, 0, 1, "majority")
    assert one.endswith("so the code was applied there.") and "left off in 0" not in one
    assert w.resolution_sentence("x", ".5", 48, 3, 3, 0, 1, 2, "majority").endswith("applied in all 3.")
    named = w.resolution_sentence("x", ".5", 48, 3, 1, 2, 1, 2, "file", "", "Hyejin", "Mereana")
    assert "sided with Hyejin in 1 and with Mereana in 2" in named and "Coder A" not in named


def test_the_manuscript_names_the_compared_coders_as_table_3_does():
    from compendium.reporting import manuscript

    say = manuscript.Prose({})
    assert say.compared_coders() == ("the first coder", "the second coder")
    say.coders = ["hyejin", "mereana", "tunde"]
    assert say.compared_coders() == ("[Hyejin]{.study}", "[Mereana]{.study}")


def test_flagged_codes_tell_an_undefined_kappa_from_a_low_one():
    """A code that neither coder applied has no kappa (chance agreement is 1, Cohen 1960):
    it is flagged in Table 3 as 'undefined', but the text must not count it among the
    codes whose kappa fell below the threshold."""
    text = w.flagged_codes("12", "2", ["Exam focus", "Isolation"], ["Bureaucracy", "Community ties"], 0.6, True)
    assert text.startswith("Of the 12 codes, 2 had a kappa, or the lower limit of its interval, below the threshold")
    assert "(Exam focus and Isolation)." in text
    assert "Bureaucracy" not in text.split(".")[0] + text.split(".")[1]
    assert "The kappa of Bureaucracy and Community ties is undefined, since neither coder applied them" in text
    only = w.flagged_codes("3", "0", [], ["Language barriers"], 0.6, True)
    assert only.startswith("No code had a kappa, or the lower limit of its interval, below the threshold of 0.6.")
    assert "The kappa of Language barriers is undefined, since neither coder applied it" in only
    none = w.flagged_codes("3", "0", [], [], 0.6, True)
    assert none == "No code had a kappa, or the lower limit of its interval, below the threshold of 0.6."
    varied = w.flagged_codes("3", "0", [], ["Everywhere"], 0.6, False)
    assert "did not vary" in varied and "neither coder applied" not in varied


def test_a_code_without_kappa_is_not_called_low_agreement_in_its_theme():
    text = w.unscored_code_sentence("language barriers", 1258, True)
    assert text == (
        "Language barriers has no kappa: neither coder applied it in the 1258 units both coded, so there was "
        "no disagreement to settle."
    )
    assert "low agreement" not in w.unscored_code_sentence("x", 10, False)


def test_cooccurrence_sentence_opens_with_a_word_and_names_a_lone_shared_pair_plainly():
    """A theme of nine codes has 36 pairs: 'Of its 36 pairs of codes, 20 were ...', never a
    sentence opening with the numeral '20'. When a single pair shared units, it is named
    as that pair, not as the one that did so 'most often'."""
    labels = [f"C{i}" for i in range(9)]
    pairs = [
        (a, b, 1 if n < 20 else 0, 2)
        for n, (a, b) in enumerate((a, b) for i, a in enumerate(labels) for b in labels[i + 1 :])
    ]
    many = w.cooccurrence_sentence(pairs)
    assert many.startswith("Of its 36 pairs of codes, 20 were applied to the same unit at least once"), many
    lone = w.cooccurrence_sentence([("A", "B", 7, 28), ("A", "C", 0, 5), ("B", "C", 0, 0)])
    assert (
        lone
        == "One of its 3 pairs of codes, a and b, was applied to the same unit (7 units; both occurred in 28 sources)."
    ), lone
