"""The manuscript, the checklists and the landing page: numbers only from results.json,
APA statistics, every reference, every table and figure in every format, and words
chosen by the data.

Nothing here reads data/raw/ or reports/: the shipped study is generated into a
temporary folder (for its codebook and dataset.yaml) and results are hand-made
dictionaries shaped as the pipeline writes them, one per situation the text must
handle (Holm-adjusted non-significance, equal percentages, one source type,
suppressed cells, no code-outcome links, one coder, missing metadata)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from compendium.checks import verification
from compendium.reporting import manuscript, site

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "manuscript" / "manuscript.md.j2"
CHECKLISTS = ROOT / "manuscript" / "checklists"
OUTCOMES = ("increased_cultural_competence", "active_participation", "leadership_role", "perceived_support")
CITATION = {
    "authors": [{"name": "The compendium authors"}],
    "preferred-citation": {
        "title": "Original study title",
        "year": 2025,
        "authors": [
            {"family-names": "Firstauthor", "given-names": "Alice"},
            {"family-names": "Source", "given-names": "Bob"},
        ],
    },
}

# --------------------------------------------------------------------------- hand-made inputs


def other_codebook() -> pd.DataFrame:
    """A codebook that shares nothing with the shipped one: one theme of two codes and
    one theme of one code."""
    return pd.DataFrame(
        {
            "theme": ["barriers", "barriers", "gains"],
            "theme_label": ["Barriers to action", "Barriers to action", "What learners gained"],
            "code": ["time_pressure", "fear_of_reprisal", "confidence"],
            "code_label": ["Time pressure", "Fear of reprisal", "Confidence"],
            "definition": ["", "", ""],
        }
    )


def make_results(
    codebook: pd.DataFrame,
    *,
    arms=("control", "intervention"),
    percents=None,
    p=None,
    p_holm=None,
    sources=(23, 4, 19),
    coders=2,
    suppressed=False,
    activism=(25.0, 15.0, 0.25),
    links=(),
    alphas=(0.82, 0.81, 0.80, 0.89),
) -> dict:
    """results.json as the pipeline writes it, for the keys the manuscript and checklists use."""
    percents = percents or {o: (45.0 + 5 * i, 12.0 + 3 * i) for i, o in enumerate(OUTCOMES)}
    p = p or {o: 1e-6 for o in OUTCOMES}
    p_holm = p_holm or {o: 4e-6 for o in OUTCOMES}
    r: dict = {
        "dataset.seed": 20251026,
        "sites.count": 1,
        "format.p_floor": 0.001,
        "params.cc_min_change": 0.5,
        "params.support_min_mean": 4.0,
        "params.kappa_threshold": 0.6,
        "params.convergent_kappa": 0.4,
        "params.dissonant_kappa": 0.0,
        "params.min_learners": 10,
        "params.min_expected": 5,
        "params.ci_level": 0.95,
        "params.min_cell": 5,
        "params.power_alpha": 0.05,
    }
    for role, label in zip(("control", "intervention"), arms):
        r |= {
            f"flow.{role}.label": label,
            f"flow.{role}.enrolled": 102,
            f"flow.{role}.withdrew": 2,
            f"flow.{role}.consented": 100,
            f"flow.{role}.no_post_wave": 0,
        }
    r |= {"flow.sources.dropped_withdrawn": 2, "flow.sources.units_dropped_withdrawn": 18}
    r |= {
        "study.sources.interview": sources[0],
        "study.sources.focus_group": sources[1],
        "study.sources.document": sources[2],
        "study.sources.total": sum(sources),
        "study.coders": coders,
        "study.codes": int(codebook["code"].nunique()),
        "study.themes": int(codebook["theme"].nunique()),
        "study.learners_analysed": 200,
        "study.learners_in_sources": 57,
        "study.cc_items": 6,
        "study.support_items": 4,
    }
    for o in OUTCOMES:
        a, b = percents[o]
        r |= {
            f"table2.{o}.intervention_percent": a,
            f"table2.{o}.control_percent": b,
            f"table2.{o}.p_value": p[o],
            f"table2.{o}.p_holm": p_holm[o],
            f"table2.{o}.test": "chi2",
            f"table2.{o}.statistic": 26.72,
            f"table2.{o}.dof": 1,
            f"table2.{o}.n_total": 200,
        }
        r |= {
            f"adjusted.{o}.odds_ratio": 6.0,
            f"adjusted.{o}.or_ci_low": 2.92,
            f"adjusted.{o}.or_ci_high": 12.33,
            f"adjusted.{o}.adjusted_or": 5.65,
            f"adjusted.{o}.adjusted_ci_low": 2.73,
            f"adjusted.{o}.adjusted_ci_high": 11.69,
            f"adjusted.{o}.adjusted_p": p[o],
            f"adjusted.{o}.covariates": "previous_activism+gender+age",
            f"stratified.{o}.yes.stratum": "previous_activism",
        }
    for (scale, wave), alpha in zip(
        [("cultural_competence", "pre"), ("cultural_competence", "post"), ("support", "pre"), ("support", "post")],
        alphas,
    ):
        r[f"reliability.{scale}.{wave}.alpha"] = alpha
    a, b, smd = activism
    hidden = None if suppressed else 1
    r |= {
        "table1.n.n.control": 100,
        "table1.n.n.intervention": 100,
        "table1.gender.Female.n.control": 50,
        "table1.gender.Female.n.intervention": 55,
        "table1.gender.Female.percent.control": 50.0,
        "table1.gender.Female.percent.intervention": 55.0,
        "table1.gender.Female.n.smd": 0.05,
        "table1.gender.Female.percent.smd": 0.05,
        "table1.gender.Nonbinary.n.control": hidden and 3,
        "table1.gender.Nonbinary.n.intervention": hidden and 4,
        "table1.gender.Nonbinary.percent.control": hidden and 3.0,
        "table1.gender.Nonbinary.percent.intervention": hidden and 4.0,
        "table1.gender.Nonbinary.n.smd": hidden and 0.05,
        "table1.gender.Nonbinary.percent.smd": hidden and 0.05,
        "table1.gender.p_value": 0.48,
        "table1.age.years.mean.control": 27.4,
        "table1.age.years.mean.intervention": 27.3,
        "table1.age.years.mean.smd": -0.04,
        "table1.age.p_value": None,
        "table1.previous_activism.yes.n.control": 15,
        "table1.previous_activism.yes.n.intervention": 25,
        "table1.previous_activism.yes.percent.control": b,
        "table1.previous_activism.yes.percent.intervention": a,
        "table1.previous_activism.yes.percent.smd": smd,
        "table1.previous_activism.yes.n.smd": smd,
        "table1.previous_activism.p_value": 0.08,
    }
    if coders >= 2:
        r |= {"irr.ALL.cohen_kappa": 0.755, "irr.ALL.krippendorff_alpha": 0.755, "irr.ALL.flagged": False}
        for i, code in enumerate(codebook["code"]):
            r[f"irr.{code}.flagged"] = i == 0
            r[f"irr.{code}.cohen_kappa"] = 0.5 if i == 0 else 0.8
    types = dict(zip(("interview", "focus_group", "document"), sources))
    for theme, block in codebook.groupby("theme", sort=False):
        r |= {
            f"themes.theme.{theme}.all.all.units": 40,
            f"themes.theme.{theme}.all.all.sources": 12,
            f"themes.theme.{theme}.all.all.participants": 20,
        }
        for t, n in types.items():
            if n:
                r[f"themes.theme.{theme}.source_type.{t}.sources"] = min(n, 12)
        for i, code in enumerate(block["code"]):
            r[f"themes.code.{code}.all.all.units"] = 30 - 7 * i
    for code, outcome in links:
        r |= {
            f"joint.{code}.{outcome}.judgement": "convergent",
            f"joint.{code}.{outcome}.agreement_percent": 75.4,
            f"joint.{code}.{outcome}.kappa": 0.45,
            f"joint.{code}.{outcome}.learners_both": 57,
            f"joint.{code}.{outcome}.talk_control_percent": 39.3,
            f"joint.{code}.{outcome}.talk_intervention_percent": 41.4,
            f"joint.{code}.{outcome}.outcome_control_percent": 5.0,
            f"joint.{code}.{outcome}.outcome_intervention_percent": 40.0,
        }
    return r


def write_tables(folder: Path, codebook: pd.DataFrame, *, coders=2, links=()) -> Path:
    """reports/tables/ as the pipeline writes it, with tables that hold no number."""
    folder.mkdir(parents=True, exist_ok=True)
    plain = "# {}\n\n| A | B |\n| :--- | :--- |\n| x | y |\n\n*A note.*\n"
    (folder / "table1_demographics.md").write_text(plain.format("Table one"))
    (folder / "table2_outcomes.md").write_text(plain.format("Table two"))
    if coders >= 2:
        (folder / "irr.md").write_text(plain.format("Agreement"))
    pd.DataFrame(
        [
            {
                "code": c,
                "rank": 1,
                "source_id": "INT-001",
                "unit": 3,
                "source_type": "interview",
                "speaker": "L0001",
                "arm": "control",
                "quote": f"A quotation about {c.replace('_', ' ')}.",
            }
            for c in codebook["code"]
        ]
    ).to_csv(folder / "exemplar_quotes.csv", index=False)
    columns = [
        "code",
        "outcome",
        "direction",
        "learners_both",
        "agreement_percent",
        "kappa",
        "judgement",
        "talk_control_percent",
        "talk_intervention_percent",
        "outcome_control_percent",
        "outcome_intervention_percent",
        "quote",
        "quote_source",
        "quote_unit",
    ]
    rows = [
        {
            "code": c,
            "outcome": o,
            "direction": "same",
            "learners_both": 57,
            "agreement_percent": 75.4,
            "kappa": 0.45,
            "judgement": "convergent",
            "talk_control_percent": 39.3,
            "talk_intervention_percent": 41.4,
            "outcome_control_percent": 5.0,
            "outcome_intervention_percent": 40.0,
            "quote": "",
            "quote_source": "",
            "quote_unit": 1,
        }
        for c, o in links
    ]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "joint_display.csv", index=False)
    return folder


def render(tmp_path: Path, codebook: pd.DataFrame, dataset: dict, results: dict, *, coders=2, links=()) -> tuple:
    tables = write_tables(tmp_path / "tables", codebook, coders=coders, links=links)
    study = SimpleNamespace(codebook=codebook, dataset=dataset)
    ctx = manuscript.context(study, tables, results, CITATION)
    text = manuscript.render_template(TEMPLATE, results, ctx)
    assert manuscript.stray_numbers(text, manuscript.accountable(results, ctx)) == []
    lists = {t.name: manuscript.render_template(t, results, ctx) for t in sorted(CHECKLISTS.glob("*.md.j2"))}
    for name, checklist in lists.items():
        assert manuscript.stray_numbers(checklist, manuscript.accountable(results, ctx)) == [], name
    return text, lists, ctx


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped study's codebook and dataset.yaml, generated afresh."""
    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    raw = tmp_path_factory.mktemp("shipped") / "raw"
    synthesize(raw, seed=20251026)
    return load_study(raw, consensus_coder="coder_a")


def shipped_links(study) -> list[tuple[str, str]]:
    return [(study.codebook["code"].iloc[0], "leadership_role")]


# --------------------------------------------------------------------------- numbers


def test_apa_p_values():
    assert manuscript.apa_p(2.35e-07) == "p < .001"
    assert manuscript.apa_p(0.0344) == "p = .034"
    assert manuscript.apa_p(0.5) == "p = .500"
    assert manuscript.apa_p(None) == "p not estimable"


def test_stray_numbers_are_found_and_legitimate_ones_pass():
    results = {"a": 26.720647, "b": 0.45, "c": 100}
    text = (
        "χ²(1, N = 100) = 26.72 with 45% and .45; Table 3 and Figure 2 in 2025 [1,2] [3–5] "
        "[Person 7] (interview, source INT-011, unit 14) but 3.14 and 17 are typed.\n"
        "| 29 | Quotations presented | yes |\n# References\n1. x 99"
    )
    assert manuscript.stray_numbers(text, results) == ["1", "17", "3.14"]


def test_the_study_own_words_are_left_aside_but_nothing_else():
    quoted = manuscript.study_text("randomised 1:1 [by list] in 12 schools")
    assert manuscript.stray_numbers(f"Allocation: {quoted}.", {}) == []
    assert manuscript.stray_numbers(f"Allocation: {quoted}, with 12 schools.", {}) == ["12"]


def test_a_missing_result_stops_the_build(tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("{{ pct('table2.nothing.percent') }}")
    with pytest.raises(manuscript.ManuscriptError, match="table2.nothing.percent"):
        manuscript.render_template(template, {}, {})


def test_typed_numbers_stop_the_build(tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("We saw 37.5% more.")
    with pytest.raises(manuscript.ManuscriptError, match="37.5"):
        manuscript.build(template, {"a": 1.0}, {}, {}, folder=tmp_path)


def test_every_formatter_handles_suppressed_and_missing_values(tmp_path):
    """measured: with privacy.min_cell 5 and 40 learners the stage ended in a TypeError."""
    n = manuscript.Numbers(
        {
            "table1.gender.Other.percent.control": None,
            "table2.x.p_value": None,
            "table2.x.test": "chi2",
            "table2.x.statistic": None,
            "adjusted.x.adjusted_or": None,
            "reliability.s.pre.alpha": None,
        }
    )
    assert n.pct("table1.gender.Other.percent.control") == "suppressed"
    assert n.num("table1.gender.Other.percent.control") == "suppressed"
    assert n.int("table1.gender.Other.percent.control") == "suppressed"
    assert n.p("table2.x.p_value") == "p not estimable"
    assert n.chi2("x") == "test not estimable"
    assert n.odds("adjusted.x", "adjusted_or", "a", "b") == "OR not estimable"
    assert n.apa("reliability.s.pre.alpha") == "not estimable"
    assert n.points("reliability.s.pre.alpha") == "not estimable"


def test_statistics_are_reported_in_apa_style(tmp_path, shipped):
    results = make_results(shipped.codebook, links=shipped_links(shipped))
    text, _, _ = render(tmp_path, shipped.codebook, shipped.dataset, results, links=shipped_links(shipped))
    assert len(re.findall(r"χ2\(1, N = 200\) = 26\.72, p < \.001", text)) == 4  # ASCII 2: statcheck parses it


# --------------------------------------------------------------------------- the shipped study


def test_shipped_study_is_a_demonstration_bylined_by_the_compendium(tmp_path, shipped):
    links = shipped_links(shipped)
    text, lists, _ = render(
        tmp_path, shipped.codebook, shipped.dataset, make_results(shipped.codebook, links=links), links=links
    )
    front = text.split("\n---\n")[0]
    assert "demonstration on synthetic data" in front
    # CITATION.cff's author is a placeholder, so the byline reads as one
    assert "The compendium authors" not in front and manuscript.BYLINE_TODO in front
    assert "Firstauthor" not in front and "Source" not in front  # the original authors are cited, not the byline
    assert "Firstauthor A, Source B" in text
    assert "synthetic" in text.lower()
    # every theme of the codebook gets its paragraph, in codebook order
    labels = list(dict.fromkeys(shipped.codebook["theme_label"]))
    positions = [text.index(f"*{label}.*") for label in labels]
    assert positions == sorted(positions)


def test_all_references_are_cited_on_either_kind_of_data():
    bib = (ROOT / "manuscript" / "references.bib").read_text()
    keys = re.findall(r"@\w+\{(\w+),", bib)
    assert len(keys) == 25
    template = TEMPLATE.read_text()
    twin, other = template.split("{% if twin %}In the original study")[1].split("{% else %}", 1)
    other = other.split("{% endif %}")[0]
    intro = template.split("# Discussion")[0]
    for key in keys:
        assert f"@{key}" in intro + twin and f"@{key}" in intro + other, key


def test_references_print_their_doi_and_no_page_range_that_is_not_one(tmp_path):
    import contextlib
    import shutil

    import pypandoc

    shutil.copy(ROOT / "manuscript" / "vancouver-compendium.csl", tmp_path)
    (tmp_path / "d.bib").write_text(
        "@article{x, author={Doe, J.}, title={A title}, journal={J Test}, year={2020}, volume={3}, "
        "pages={1--9}, doi={10.1000/xyz123}}\n"
    )
    text = "---\nbibliography: d.bib\ncsl: vancouver-compendium.csl\n---\n\nText [@x].\n"
    with contextlib.chdir(tmp_path):
        out = pypandoc.convert_text(text, "plain", format="markdown", extra_args=["--citeproc"])
    assert "2020;3:1–9. doi:10.1000/xyz123" in out
    bib = (ROOT / "manuscript" / "references.bib").read_text()
    entry = bib.split("@article{ref20_schreidah2023,")[1].split("\n}")[0]
    assert "pages" not in entry and "10--97" not in bib


# --------------------------------------------------------------------------- another study


def test_replication_data_get_words_that_follow_their_numbers(tmp_path):
    """The sentences measured as wrong on a replication team's data must not come back."""
    codebook = other_codebook()
    percents = {o: (40.0, 30.0) for o in OUTCOMES} | {"leadership_role": (15.0, 5.0)}
    results = make_results(
        codebook,
        arms=("usual_care", "programme"),
        percents=percents,
        p={o: 0.022 for o in OUTCOMES},
        p_holm={o: 0.088 for o in OUTCOMES},
        sources=(4, 0, 0),
        coders=1,
        suppressed=True,
        activism=(47.2, 46.8, 0.008),
    )
    text, lists, ctx = render(tmp_path, codebook, {}, results, coders=1)

    assert "every difference held after Holm" not in text.lower()
    assert "held after Holm's correction" in text and "None of the differences held" in text
    assert "more learners with previous activism (47% against 47%)" not in text
    assert "The arms were similar in age and previous activism" in text
    assert "4 interviews" in text
    assert "0 focus groups" not in text and "0 documents" not in text
    assert "focus groups" not in text and "documents or online posts" not in text
    assert "suppressed" in text  # balance in gender is not estimable, and the count of hidden cells is given
    assert "No code was linked to a survey outcome" in text
    assert "Agreement between coders could not be measured" in text and "Table 3" not in text
    assert "[to be completed]" in text
    assert "the usual care arm" in text and "the programme arm" in text
    for shipped_word in (
        "Motivations for engagement",
        "Strategies of activism",
        "empowerment",
        "Health fairs",
        "curriculum advocacy",
        "Need for mentorship",
        "Tasawar",
    ):
        # the original study is cited as the study replicated, by its key only (citeproc numbers it)
        assert shipped_word.lower() not in re.sub(r"\[@[^\]]+\]", " ", text).lower(), shipped_word
    assert "original study it replicates\n[@tasawar2025]" in text
    # no authors in dataset.yaml: the byline reads as a placeholder, the declarations ask for the rest
    assert manuscript.BYLINE_TODO in text.split("\n---\n")[0]
    assert "**Author contributions.** [to be completed by the authors]" in text
    assert "**Acknowledgements.** [to be completed by the authors]" in text
    # the Limitations follow the description: allocation not reported, said so
    assert "does not report how learners were allocated" in text.split("## Limitations")[1]
    assert "*Barriers to action.*" in text and "*What learners gained.*" in text
    assert "two codes (Time pressure and Fear of reprisal)" in text
    assert "one code (Confidence)" in text
    # design features not in dataset.yaml are "not reported", never asserted
    assert "randomis" not in text.lower() and "institutional review board" not in text
    assert (
        "The study's description does not report how learners were allocated to the arms, blinding, registration, "
        "how the qualitative participants were sampled, ethics approval and consent and what the intervention "
        "consisted of" in " ".join(text.split())
    )
    consort, coreq = lists["consort.md.j2"], lists["coreq.md.j2"]
    assert "README" not in consort + coreq
    assert "not reported" in consort and "no unit was coded by two coders" in coreq
    assert "one coder" in coreq
    assert "4 interviews" in coreq and "focus group" not in coreq


def test_design_title_and_byline_come_from_dataset_yaml(tmp_path):
    codebook = other_codebook()
    dataset = {
        "title": "Learner activism in three schools",
        "setting": "three schools in 2 regions",
        "period": "2023 to 2024",
        "authors": [
            {"name": "Ngozi Eze", "affiliation": "University A"},
            {"name": "Tomás Ruiz", "affiliation": "University B"},
        ],
        "design_features": {
            "allocation": "randomised 1:1 by computer-generated list",
            "blinding": "outcome assessors blinded",
        },
    }
    links = [("confidence", "leadership_role")]
    results = make_results(codebook, links=links)
    text, lists, _ = render(tmp_path, codebook, dataset, results, links=links)
    front = text.split("\n---\n")[0]
    assert "Learner activism in three schools" in front and "Ngozi Eze" in front and "Tomás Ruiz" in front
    assert "demonstration" not in front
    assert "University A; University B" in text
    assert "Medical learners have become" not in text and "Learners in the health professions have" in " ".join(
        text.split()
    )  # another study's field is not assumed to be medicine
    assert "randomised 1:1 by computer-generated list" in text and "outcome assessors blinded" in text
    assert "It does not report registration" in " ".join(text.split())
    assert "randomised 1:1" in lists["consort.md.j2"]
    assert "Confidence and leadership roles in social change efforts: convergent" in text
    assert "The joint display (Table 4)" in text and "Agreement by code is shown in Table 3" in text
    assert "All four differences held after Holm's correction." in text


def test_front_and_back_matter_come_from_dataset_yaml_or_are_left_to_the_authors(tmp_path):
    codebook = other_codebook()
    dataset = {
        "title": "Learner activism in three schools",
        "keywords": ["activism", "medical students"],
        "authors": [
            {"name": "Ngozi Eze", "affiliation": "University A"},
            {"name": "Tomás Ruiz", "affiliation": "University B", "corresponding": True, "email": "t.ruiz@b.example"},
        ],
        "ethics": "approved by the board of University A",
        "funding": "the Learner Fund",
    }
    results = make_results(codebook)
    text, _, _ = render(tmp_path / "a", codebook, dataset, results)
    assert re.search(r"\*\*Corresponding author:\*\* \[Tomás Ruiz\]\{\.study\}; e-mail address", text)
    assert "@b.example" not in text  # the leak audit admits no e-mail address under reports/
    assert "**Keywords:** [activism]{.study}; [medical students]{.study}" in text
    back = text.split("# Declarations")[1].split("# References")[0]
    assert "[approved by the board of University A]{.study}" in back and "[the Learner Fund]{.study}" in back
    assert re.search(r"\*\*Conflicts of interest\.\*\* \[to be completed by the authors\]", back)
    assert re.search(r"\*\*Data availability\.\*\* \[to be completed by the authors\]", back)
    bare, _, _ = render(tmp_path / "b", codebook, {}, results)
    for heading in ("Corresponding author:", "Keywords:", "Funding.", "Ethics approval and consent."):
        assert re.search(re.escape(heading) + r"\*\* \[to be completed by the authors\]", bare), heading


def test_manuscript_tables_use_labels_and_notes_for_the_reader(tmp_path):
    codebook = other_codebook()
    links = [("confidence", "leadership_role")]
    results = make_results(codebook, links=links)
    tables = write_tables(tmp_path / "tables", codebook, links=links)
    pd.DataFrame(
        [
            {
                "code": c,
                "theme": t,
                "units": 40,
                "sources": 12,
                "percent_agreement": 90.0,
                "cohen_kappa": 0.5,
                "kappa_ci_low": 0.3,
                "kappa_ci_high": 0.7,
                "krippendorff_alpha": 0.5,
                "alpha_ci_low": 0.3,
                "alpha_ci_high": 0.7,
                "positive_agreement": 0.6,
                "negative_agreement": 0.9,
                "coder_1_count": 3,
                "coder_2_count": 4,
                "flagged": True,
            }
            for c, t in zip(codebook["code"], codebook["theme"])
        ]
    ).to_csv(tables / "irr.csv", index=False)
    study = SimpleNamespace(codebook=codebook, dataset={}, coders=["coder_a", "coder_b"])
    ctx = manuscript.context(study, tables, results, CITATION)
    table3, table4 = ctx["table3"], ctx["table4"]
    assert "[Fear of reprisal]{.study}" in table3 and "[Barriers to action]{.study}" in table3
    assert (
        "| [Coder A]{.study} | [Coder B]{.study} |" in table3
        and "coder_a" not in table3
        and "fear_of_reprisal" not in table3
    )
    assert "[Confidence]{.study}" in table4 and "Judgement: convergent from a kappa of" in table4
    # the joint display says what each link expects; the flag says which limit fell short
    assert "| Expected link |" in table4 and "more talk, more outcome" in table4
    threshold = results.get("params.kappa_threshold")
    if threshold is not None:
        assert f"κ < {threshold:g}" in table3 and "interval reaches below" not in table3
    for name in ("table1", "table2", "table3", "table4"):
        assert "params.yaml" not in ctx[name] and "CSV" not in ctx[name], name


def test_tables_are_numbered_in_the_order_they_appear(tmp_path):
    codebook = other_codebook()
    links = [("confidence", "leadership_role")]
    one_coder, _, ctx = render(
        tmp_path / "a", codebook, {}, make_results(codebook, coders=1, links=links), coders=1, links=links
    )
    assert ctx["table_number"] == {"table1": 1, "table2": 2, "table4": 3}
    assert "The joint display (Table 3)" in one_coder
    both, _, ctx = render(tmp_path / "b", codebook, {}, make_results(codebook, links=links), links=links)
    assert ctx["table_number"] == {"table1": 1, "table2": 2, "table3": 3, "table4": 4}


def test_unreliable_scale_and_moved_odds_ratio_are_said_so(tmp_path):
    codebook = other_codebook()
    results = make_results(codebook, alphas=(0.82, 0.55, 0.65, 0.66))
    for o in OUTCOMES:
        results[f"adjusted.{o}.adjusted_or"] = 9.0
    text, _, _ = render(tmp_path, codebook, {}, results)
    assert "internally consistent before and not internally consistent after" in text
    assert "The support scale was of borderline internal consistency at both surveys" in text
    assert "10% or more" in text


# --------------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def built(tmp_path_factory, shipped):
    """The shipped study's manuscript written to HTML, DOCX and PDF in a temporary folder."""
    folder = tmp_path_factory.mktemp("built")
    figures = folder / "figures"
    figures.mkdir()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for stem in ("participant_flow", "outcome_proportions", "effects_forest", "conceptual_framework"):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [0, 1])
        fig.savefig(figures / f"{stem}.png", dpi=50)
        plt.close(fig)
    links = shipped_links(shipped)
    results = make_results(shipped.codebook, links=links)
    tables = write_tables(folder / "tables", shipped.codebook, links=links)
    ctx = manuscript.context(
        SimpleNamespace(codebook=shipped.codebook, dataset=shipped.dataset), tables, results, CITATION
    )
    out = manuscript.build(TEMPLATE, results, ctx, {}, folder=folder)
    checklists = manuscript.build_checklists(CHECKLISTS, results, folder / "checklists", ctx)
    return SimpleNamespace(folder=folder, out=out, results=results, ctx=ctx, checklists=checklists)


def test_html_has_no_number_outside_results_and_makes_no_request(built):
    page = built.out["html"].read_text()
    body = re.sub(r"<[^>]+>", " ", page.split('id="refs"')[0].split("<body")[1])
    body = re.sub(r"data:[^\s\"]+", " ", body)
    body = re.sub(r"\[\s+", "[", re.sub(r"\s+\]", "]", body))  # citations, once their links are gone: [ 11 ]
    assert manuscript.stray_numbers(body, manuscript.accountable(built.results, built.ctx)) == []
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count('src="data:image/png;base64') >= 4
    # the works the original cites (its duplicate 5/6 merged) and the original study itself
    assert len(re.findall(r'id="ref-ref\d\d_', page)) == 24 and 'id="ref-tasawar2025"' in page


def test_pdf_and_docx_show_every_table_and_figure(built):
    from compendium.checks.audit import pdf_text

    text = pdf_text(built.out["pdf"])
    for n in range(1, 5):
        assert f"Table {n}." in text and f"Figure {n}." in text, n
    with zipfile.ZipFile(built.out["docx"]) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
    assert document.count("<w:tbl>") >= 4 and len(media) >= 4


def test_html_table_notes_are_set_in_the_table_s_size(built):
    """Each table's note, the italic paragraph pandoc writes right after the table's box,
    is matched by the stylesheet's note rule (smaller than the body, as in the PDF)."""
    page = built.out["html"].read_text()
    assert ".table-scroll+p:has(>em:only-child){font-size:.85em" in page
    notes = re.findall(r"</table></div>\s*<p><em>[^<]*</em></p>", page)
    assert len(notes) >= 3, notes


def test_the_rendered_manuscript_passes_the_typesetting_checks(built):
    from compendium.checks import typesetting

    assert typesetting.check_manuscript(built.out["md"], built.out["pdf"], built.out["docx"]) == []


def test_checklists_are_plain_markdown(built):
    consort = (built.folder / "checklists" / "consort.md").read_text()
    assert "{.study}" not in consort and "not reported" in consort


#: CONSORT 2025's item numbers (Hopewell et al. 2025, BMJ 389:e081123, Table 1).
CONSORT_2025 = [
    "1a", "1b", "2", "3", "4", "5a", "5b", "6", "7", "8", "9", "10", "11", "12a", "12b", "13", "14", "15",
    "16a", "16b", "17a", "17b", "18", "19", "20a", "20b", "21a", "21b", "21c", "21d", "22a", "22b", "23a",
    "23b", "24a", "24b", "25", "26", "27", "28", "29", "30",
]  # fmt: skip


def test_checklists(built):
    coreq = (built.folder / "checklists" / "coreq.md").read_text()
    numbers = [int(n) for n in re.findall(r"^\| (\d+) \|", coreq, flags=re.M)]
    assert numbers == list(range(1, 33))  # COREQ's 32 items (Tong, Sainsbury and Craig 2007)
    answered = [
        line
        for line in coreq.splitlines()
        if re.match(r"^\| \d+ \|", line) and "Not reported; for the authors" not in line
    ]
    assert len(answered) >= 12
    consort = (built.folder / "checklists" / "consort.md").read_text()
    assert re.findall(r"^\| (\d+[a-z]?) \|", consort, flags=re.M) == CONSORT_2025
    assert "for the authors" in consort
    answers = [line.split(" | ")[2] for line in consort.splitlines() if re.match(r"^\| \d", line)]
    for answer in answers:  # the shipped study's allocation is not reported: nothing says randomised
        assert "randomis" not in answer.replace("does not call the study randomised", ""), answer
    sample_size = answers[CONSORT_2025.index("16a")]
    assert "No sample-size calculation is reported" in sample_size and "After the fact" in sample_size
    # COREQ 29: quotations carry descriptors, not identities
    item29 = next(line for line in coreq.splitlines() if line.startswith("| 29 |"))
    assert "descriptors" in item29 and "not with a participant number" in item29
    for text in (coreq, consort):  # no pointer to a file a team deletes or may not have
        assert "README" not in text


def test_checklists_point_to_sections_the_manuscript_has(built):
    """Every section a checklist names (in italics, "Results: Themes") is a heading of the
    rendered manuscript."""
    headings = {h.strip() for h in re.findall(r"^#+ (.+)$", built.out["md"].read_text(), flags=re.M)}
    for name in ("consort.md", "coreq.md"):
        for line in (built.folder / "checklists" / name).read_text().splitlines():
            if not re.match(r"^\| \d", line):
                continue
            where = line.rstrip(" |").rsplit(" | ", 1)[-1]
            for section in re.findall(r"\*([^*]+)\*", where):
                for part in section.split(": "):
                    assert part in headings, f"{name}: {line[:60]}... names {part!r}"


# --------------------------------------------------------------------------- landing page and verification


SUMMARY = {"match": 2, "mismatch": 48, "not reproducible from the data": 2, "claims": 52}


def test_index_headline_is_a_comparison_on_other_data(tmp_path):
    for name in ("manuscript.html", "verification.md"):
        (tmp_path / name).write_text("x")
    meta = manuscript.study_meta({}, CITATION, twin=False)
    page = site.index_html(tmp_path, SUMMARY, "", meta, twin=False)
    assert "2 of 52 numbers reproduced" not in page and "are reproduced" not in page
    assert "Comparison with the original study: 2 of 52 published numbers are within their rounding" in page
    assert 'href="verification.md"' in page
    assert "About the data" in page and "[to be completed]" in page
    twin_page = site.index_html(
        tmp_path,
        SUMMARY,
        "Synthetic data.",
        manuscript.study_meta({"synthetic": True, "seed": 1}, CITATION, twin=True),
        twin=True,
    )
    assert "2 of 52 numbers printed in the paper are reproduced." in twin_page


def test_index_links_resolve(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "t.csv").write_text("a\n")
    page = site.index_html(tmp_path, SUMMARY, "", manuscript.study_meta({}, CITATION, twin=False), twin=False)
    assert 'href="tables/t.csv"' in page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)


def test_verification_report_is_a_comparison_on_other_data():
    report = {
        "summary": SUMMARY,
        "claims": [
            {
                "id": "table2.x.control",
                "where": "Table 2",
                "text": "12%",
                "recomputed": 30.0,
                "rule": "rounded",
                "status": "mismatch",
            }
        ],
        "checks": {},
    }
    other = verification.markdown(report, twin=False)
    assert other.startswith("# Comparison with the original study")
    assert "Of the 52 numbers the original study's paper prints, **2 are within their rounding in these data**" in other
    assert "| differs |" in other and "mismatch" not in other
    twin = verification.markdown(report, twin=True)
    assert "**2 match**" in twin and "| mismatch |" in twin


def test_paper_twin_rule():
    assert manuscript.is_paper_twin({"synthetic": True})
    assert manuscript.is_paper_twin({"synthetic": True, "design": "paper"})
    assert not manuscript.is_paper_twin({"synthetic": True, "design": "independent"})
    assert not manuscript.is_paper_twin({})


def test_labels_with_markup_characters_print_as_written(tmp_path):
    """Codebook labels are the team's text: '@', '#', '$', '*', '<' and '|' must reach
    the reader as characters, not as a citation, heading, maths, emphasis or HTML."""
    codebook = other_codebook()
    codebook.loc[0, "code_label"] = "@reprisal #1 $cost *fear* <b>|x|"
    codebook.loc[2, "theme_label"] = "Gains @ work"
    results = make_results(codebook)
    text, _, _ = render(tmp_path, codebook, {}, results)
    assert r"\@reprisal \#1 \$cost \*fear\* \<b\>\|x\|" in text and "Gains \\@ work" in text
    import pypandoc

    rendered = pypandoc.convert_text(text, "plain", format="markdown", extra_args=["--wrap=none"])
    assert "@reprisal #1 $cost *fear* <b>|x|" in rendered and "Gains @ work" in rendered


def test_quotations_carry_descriptors_not_identifiers():
    """COREQ 29: a quotation is tagged with its type of source, arm and (with several
    sites) site; never a learner id, source id or unit number."""
    import pandas as pd

    results = {"flow.control.label": "waitlist", "flow.intervention.label": "workshop"}
    three_sites = {f"themes.profile.t.site.{s}.learners": 1 for s in ("North", "South", "East")}
    quotes = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "source_id": ["iv_01", "doc_02", "fg_03"],
            "unit": [4, 2, 7],
            "speaker": ["L0025", "L0001, L0002", "L0044"],
            "source_type": ["interview", "document", "focus_group"],
            "arm": ["workshop", "mixed", "waitlist"],
            "site": ["North", "mixed", "South"],
            "quote": ["x", "y", "z"],
        }
    )
    one = manuscript.quote_rows(quotes, {"a": "t", "b": "t", "c": "u"}, results)
    assert [r["descriptor"] for r in one] == [
        "interview, workshop arm",
        "document or online post, learners of both arms",
        "focus group, waitlist arm",
    ]
    many = manuscript.quote_rows(quotes, {}, results | three_sites)
    assert [r["descriptor"] for r in many] == [
        "interview, workshop arm, site North",
        "document or online post, learners of both arms, learners of several sites",
        "focus group, waitlist arm, site South",
    ]
    for row in one + many:
        assert not re.search(r"L00|iv_|doc_|fg_|\d", row["descriptor"])


def test_figure_4_caption_counts_the_links_and_says_none_plainly():
    none = manuscript.Prose({"framework.links": 0, "framework.pairs": 66}).framework_links()
    assert none == "None of the 66 pairs of codes passed this rule, so the figure draws no line."
    some = manuscript.Prose({"framework.links": 2, "framework.pairs": 10}).framework_links()
    assert some == "Of the 10 pairs of codes, 2 passed this rule and are drawn as lines."
    assert manuscript.Prose({}).framework_links() == ""  # results of an older run: nothing claimed


def test_a_yes_no_baseline_characteristic_is_told_by_its_yes_level():
    def level(n_c, n_i, smd):
        return {"percent": {"control": n_c, "intervention": n_i, "smd": smd}}

    results = {"flow.control.label": "control", "flow.intervention.label": "intervention"}
    for lv, (c, i, smd) in {"No": (97.0, 93.0, -0.18), "Yes": (3.0, 7.0, 0.18)}.items():
        for role, value in (("control", c), ("intervention", i), ("smd", smd)):
            results[f"table1.held_role.{lv}.percent.{role}"] = value
    text = manuscript.Prose(results).baseline()
    assert "more learners with held role, 7% against 3%" in text and "recorded as No" not in text


def _hand_made_results(
    codebook: pd.DataFrame, arms: tuple[str, str] = ("standard_curriculum", "advocacy_track"), **extra
) -> dict:
    """Results of a hand-made study's shape: its own arm labels, 40% against 30% on
    every outcome, p = .022 unadjusted and .088 after Holm."""
    return make_results(
        codebook,
        arms=arms,
        percents={o: (40.0, 30.0) for o in OUTCOMES},
        p={o: 0.022 for o in OUTCOMES},
        p_holm={o: 0.088 for o in OUTCOMES},
        **extra,
    )


def test_hidden_table1_cells_are_counted_by_arm_not_by_blank_smd(tmp_path):
    """Two arm counts hidden (Nonbinary, in each arm) are two cells; the blank SMD of
    their row is no cell of the table. An unseen study (independent design, seed 11)
    printed 28 hidden cells where Table 1 showed 15."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1, suppressed=True)
    assert results["table1.gender.Nonbinary.n.smd"] is None  # the blank SMD that used to be counted
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "2 cells of Table 1 are shown as suppressed" in text


def test_baseline_means_are_printed_as_table1_prints_them(tmp_path):
    """Hand-made study: scale means 2.38 and 2.42 (SMD 0.16) were printed 'mean 2.4 points
    in the mentoring arm against 2.4' beside 'differed slightly'; Table 1 prints 2 decimals."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1)
    results |= {
        "table1.baseline_cultural_competence.points.mean.control": 2.381,
        "table1.baseline_cultural_competence.points.mean.intervention": 2.4197,
        "table1.baseline_cultural_competence.points.mean.smd": 0.16,
        "table1.baseline_cultural_competence.points.sd.control": 0.29,
        "table1.baseline_cultural_competence.points.sd.intervention": 0.23,
        "table1.baseline_cultural_competence.points.sd.smd": 0.16,
        "table1.baseline_cultural_competence.p_value": 0.68,
    }
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "mean 2.42 points in the programme arm against 2.38" in text
    assert "against 2.4)" not in text


def test_an_outcome_the_site_model_could_not_estimate_is_named_not_dropped(tmp_path):
    """Hand-made study, 2 sites: the GEE gave no odds ratio for perceived support (0 of 13
    in one arm), and the sentence listing the site-respecting odds ratios left it out."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1)
    for o in OUTCOMES:
        fitted = o != "perceived_support"
        results |= {
            f"clustered.{o}.sites": 2,
            f"clustered.{o}.n": 28,
            f"clustered.{o}.odds_ratio": 2.5 if fitted else None,
            f"clustered.{o}.ci_low": 0.5 if fitted else None,
            f"clustered.{o}.ci_high": 12.5 if fitted else None,
        }
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "Accounting\nfor the 2 sites" in text or "Accounting for the 2 sites" in text
    assert "site-respecting model gave no odds ratio for perceived institutional support for activism" in text
    for o in OUTCOMES:
        results[f"clustered.{o}.odds_ratio"] = None
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "Accounting for the 2 sites, the site-respecting model gave no odds ratio for increased cultural" in text


def test_the_aim_of_another_study_does_not_borrow_the_shipped_themes(tmp_path):
    """Unseen studies (a nursing and a pharmacy study, other codebooks) were given the shipped
    study's aim: 'the motivations and strategies of medical learners ... the obstacles'."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1)
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    aim = text.split("**Aim.**", 1)[1].split("**Methods.**", 1)[0]
    assert "motivations and strategies" not in aim and "medical" not in aim
    assert "themes of the study's own codebook" in aim
    assert "what drives medical learners" not in text


def test_one_site_gets_no_sentence_on_a_site_model(tmp_path):
    """Hand-made study without a site column: 'Accounting for the 1 sites, the site-respecting
    model gave no odds ratio' (results.json holds sites = 1 and no odds ratio)."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1)
    for o in OUTCOMES:
        results |= {f"clustered.{o}.sites": 1, f"clustered.{o}.n": 28, f"clustered.{o}.odds_ratio": None}
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "site-respecting model" not in text and "1 sites" not in text


def test_a_single_coder_does_not_share_a_codebook(tmp_path):
    """Hand-made study with one coder: 'coded by one coder with a shared codebook'."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, ("usual_care", "programme"), sources=(4, 0, 0), coders=1)
    text, _, _ = render(tmp_path, codebook, {}, results, coders=1)
    assert "one coder with a shared codebook" not in text.replace("\n", " ")
    assert "one coder with the study's codebook" in text.replace("\n", " ")


def test_design_features_read_as_prose_and_name_what_is_not_reported():
    """Stated features are quoted in one sentence; the others are named in the next,
    which points to the Limitations; nothing reads "allocation, not reported"."""
    from compendium.reporting.manuscript import design, design_prose

    none = design_prose(design({}))
    assert none.startswith("The study's description does not report how learners were allocated")
    assert "not reported" not in none and "Limitations" in none
    some = design_prose(design({"design_features": {"allocation": "by a computer list", "blinding": "none"}}))
    assert some.startswith("The study's description states how learners were allocated to the arms: ")
    assert "by a computer list" in some and "It does not report registration" in some
    assert "blinding" not in some.split("It does not report")[1]


def test_table4_marks_the_surprising_pairs(tmp_path):
    """A judged pair whose arms compare differently on the talk (similar: 39% and 41%)
    than on the outcome (5% against 40%) is marked surprising in Table 4; a pair whose
    arms compare alike is not, nor is a pair not assessable."""
    from compendium.reporting.manuscript import joint_table

    cols = (
        "code,outcome,direction,learners_both,agreement_percent,kappa,judgement,talk_control_percent,"
        "talk_intervention_percent,outcome_control_percent,outcome_intervention_percent"
    )
    (tmp_path / "joint_display.csv").write_text(
        cols + "\n"
        "talk_a,leadership_role,same,57,75.4,0.46,convergent,39.3,41.4,5,40\n"
        "talk_b,active_participation,same,57,70.0,0.30,complementary,20,45,30,70\n"
        "talk_c,perceived_support,same,6,50.0,,not assessable,10,50,20,20\n"
    )
    table = joint_table(tmp_path, 4, "Joint display.")
    cells = [line.split("|") for line in table.splitlines() if line.startswith("|")]
    rows = {c[1].strip(): "|".join(c) for c in cells if "{.study}" in c[1]}
    assert "convergent; surprising" in rows["[talk a]{.study}"]
    assert "surprising" not in rows["[talk b]{.study}"] and "surprising" not in rows["[talk c]{.study}"]


def test_three_coders_say_which_two_the_agreement_compares(tmp_path):
    """Hand-made study with three coders (irr.csv compares the first two by name): the
    Methods, the Results and Table 3's note said 'both coders' and 'between the coders'
    as if there were two, and never said where the third coder's agreement is."""
    codebook = other_codebook()
    results = _hand_made_results(codebook, coders=3)
    results |= {"irr.ALL.units": 48, "irr.ALL.sources": 10}
    text, lists, _ = render(tmp_path, codebook, {}, results, coders=3)
    flat = " ".join(text.split())
    assert (
        "3 coders; agreement (between the first two of the 3 coders in alphabetical order) Cohen's kappa"
        in (lists["coreq.md.j2"])
    )
    assert "sources both coders coded" not in flat
    assert "Agreement was measured between the first two of the 3 coders in alphabetical order" in flat
    assert "Agreement between the first two of the 3 coders in alphabetical order was" in flat
    assert "over all 3 coders, are given by code in the supplementary tables" in flat
    assert "Table 3. Agreement between the first two of the 3 coders in alphabetical order, by code." in flat
    note = manuscript.table_notes(results)["table3"]
    assert "both coders (the first two of the 3 coders in alphabetical order) coded" in note
    two = _hand_made_results(codebook)
    text, _, _ = render(tmp_path / "two", codebook, {}, two)
    flat = " ".join(text.split())
    assert "sources both coders coded" in flat and "alphabetical" not in flat


def test_an_adjusted_odds_ratio_that_was_not_estimable_reads_as_a_sentence(tmp_path):
    """Separation (no learner of one arm with the outcome) leaves the adjusted model
    without an estimate: the text read 'the adjusted OR not estimable, against an
    unadjusted OR = 38.58'."""
    codebook = other_codebook()
    results = _hand_made_results(codebook)
    results |= dict.fromkeys(("adjusted.leadership_role.adjusted_or", "adjusted.leadership_role.adjusted_ci_low"), None)
    flat = " ".join(render(tmp_path, codebook, {}, results)[0].split())
    assert "adjusted OR not estimable" not in flat
    assert "the adjusted odds ratio was not estimable, against an unadjusted OR = 6.00" in flat


# --------------------------------------------------------------------------- form and layout


def _outcome_table(rows: int) -> str:
    """A table of Table 2's shape: long outcome labels, counts, a test, p-values and four
    estimates with intervals (too wide for the portrait page by tables.landscape)."""
    from compendium.reporting import tables

    header = ["Outcome", "Control, n/N (%)", "Intervention, n/N (%)", "Test", "p", "p (Holm)"]
    header += ["Risk difference (95% CI)", "Odds ratio (95% CI)", "Risk ratio (95% CI)", "NNT (95% CI)"]
    body = [
        [f"Active participation in anti-racist initiatives, measure {r}", "12/100 (12%)", "45/100 (45%)"]
        + ["χ²(1)\u00a0= 26.72", "<0.001", "<0.001", "33.0 (20.8 to 44.0)", "12.67 (4.73 to 33.89)"]
        + ["3.75 (2.11 to 6.65)", "NNTB 3.0 (2.3 to 4.8)"]
        for r in range(rows)
    ]
    align = ["l", "r", "r", "l"] + ["r"] * 6
    return tables.pipe_table(header, body, align) + "\n: Table 2. Outcomes.\n\n*A note.*\n"


def test_a_short_wide_table_is_set_upright_and_a_tall_one_turned(tmp_path):
    """Rule (manuscript.turned): a table that tables.landscape would turn is set upright
    when its labels wrap onto at most three lines and it takes at most 60% of the page;
    turned, such a table leaves two thirds of its landscape page blank. The PDF then
    shows no page turned, and still breaks no word inside a cell."""
    import pikepdf

    from compendium.checks import typesetting
    from compendium.reporting import tables

    short = _outcome_table(4)
    header, align, rows = tables.parse_pipe_table([line for line in short.split("\n") if line.startswith("|")])
    assert tables.landscape(header, rows, align) and not manuscript.turned(header, rows, align)
    source = manuscript.keep_tables_whole(short)
    assert "rotate(" not in source and "flipped: true" not in source
    # the columns are sized for the portrait page, not the landscape one
    upright = tables.column_fractions(header, rows, width_em=tables.TABLE_WIDTH_EM, align=align)
    assert tables.pipe_table(header, rows, align, upright).split("\n")[1] in source
    tall = _outcome_table(30)
    header, align, rows = tables.parse_pipe_table([line for line in tall.split("\n") if line.startswith("|")])
    assert manuscript.turned(header, rows, align)
    assert "rotate(-90deg" in manuscript.keep_tables_whole(tall)
    # a table whose words alone overfill the portrait page stays turned however short it is
    wide = tables.pipe_table(
        ["Outcome", "Code", *[f"Estimate {k} (95% CI)" for k in range(8)]],
        [["Outcome number 1 of the study", "A code of the codebook"] + ["2.50 (1.75 to 3.25)"] * 8],
        ["l", "l"] + ["r"] * 8,
    )
    assert manuscript.turned(*tables.parse_pipe_table(wide.strip().split("\n"))[::2], ["l", "l"] + ["r"] * 8)
    markdown = "# Results\n\nTable 2 gives the outcomes.\n\n" + short + "\nThe text runs on.\n"
    out = tmp_path / "upright.pdf"
    manuscript.to_pdf(markdown, out, tmp_path, {})
    with pikepdf.open(out) as pdf:
        assert all(page.obj.get("/Rotate") in (None, 0) for page in pdf.pages)
        assert all(page.mediabox[2] < page.mediabox[3] for page in pdf.pages)
    assert typesetting.check_pdf(out, markdown, (20.0, 22.0)) == []


def test_a_merged_test_cell_breaks_after_its_equals_sign_only():
    header, align, rows = manuscript.merge_columns(
        ["Outcome", "Test", "Statistic"],
        ["l", "l", "r"],
        [["A", "χ²(1)", "26.72"], ["B", "Fisher", ""]],
        "Test",
        "Statistic",
    )
    assert header == ["Outcome", "Test"] and align == ["l", "l"]
    assert rows == [["A", "χ²(1)\u00a0= 26.72"], ["B", "Fisher"]]


def test_manuscript_figure_captions_are_the_index_page_s(tmp_path):
    """Each figure of the manuscript carries the caption the index page prints for it
    (what is shown and how it was computed), without the author-year citations that the
    manuscript's numbered references would not match."""
    from compendium.reporting import figures

    codebook = other_codebook()
    results = make_results(codebook) | {"framework.links": 2, "framework.pairs": 10}
    text, _, ctx = render(tmp_path, codebook, {}, results)
    found = dict(
        (stem, caption)
        for caption, stem in re.findall(r"!\[Figure \d+\. (.*?)\]\(figures/(\w+)\.png\)", text, flags=re.S)
    )
    assert set(found) == {"participant_flow", "outcome_proportions", "effects_forest", "conceptual_framework"}
    for stem, caption in found.items():
        index = figures.caption(stem, results)
        assert caption == manuscript.manuscript_caption(stem, results), stem
        assert len(caption) > 0.8 * len(index) and not re.search(r"\((?:[A-Z]\w+ )+\d{4}\)", caption), stem
    assert "Of the 10 pairs of codes, 2 passed the rule" in found["conceptual_framework"]
    assert "learners enrolled" in found["participant_flow"]


def test_no_empty_framework_figure_when_no_pair_of_codes_passed(tmp_path):
    """Rule: with no pair of codes linked more often than chance, the manuscript prints no
    Figure 4 (an empty circle) but says so in the text, with the rule."""
    codebook = other_codebook()
    results = make_results(codebook) | {"framework.links": 0, "framework.pairs": 10}
    text, _, ctx = render(tmp_path, codebook, {}, results)
    assert "conceptual_framework.png" not in text and "Figure 4" not in text
    assert "None of the 10 pairs of codes passed this rule, so no framework is drawn." in text
    assert "more often than chance (one-sided Fisher's exact test" in text


def test_no_interval_breaks_inside_a_narrow_column():
    """Rule (keep_intervals): an interval is one unit whatever the sign of its bounds (the
    reports print U+2212), and one through infinity breaks only before its second 'to';
    the typesetting check sees a break at a space as no broken word, so this is the guard."""
    nb = "\u00a0"
    assert manuscript.keep_intervals("25.0 (\u22126.2 to 49.3)") == f"25.0 (\u22126.2{nb}to{nb}49.3)"
    assert manuscript.keep_intervals("(-0.21 to -0.05)") == f"(-0.21{nb}to{nb}-0.05)"
    through = manuscript.keep_intervals("NNTB 4.0 (NNTB 2.0 to ∞ to NNTH 16.2)")
    assert through == f"NNTB 4.0 (NNTB{nb}2.0{nb}to{nb}∞ to{nb}NNTH{nb}16.2)"
    assert manuscript.keep_intervals("Personal (to be) done") == "Personal (to be) done"
    # bounds printed without their zero (APA: kappa, alpha) are bounds too
    assert manuscript.keep_intervals(".82 (.68 to .93)") == f".82 (.68{nb}to{nb}.93)"
    assert manuscript.keep_intervals("\u2212.04 (\u2212.21 to .10)") == f"\u2212.04 (\u2212.21{nb}to{nb}.10)"
    table = manuscript.embed_table(
        "| Outcome | Risk difference (95% CI) |\n| :--- | ---: |\n| A | 25.0 (\u22126.2 to 49.3) |\n", 2, "Outcomes."
    )
    assert f"(\u22126.2{nb}to{nb}49.3)" in table


def test_docx_pages_are_numbered_and_headings_set_in_black(built):
    """Every section of the DOCX (the landscape ones too) refers to a footer that prints
    the page number, kept out of the line numbering; the title and heading styles carry
    no colour of their own (pandoc's reference document prints them in the theme's blue)."""
    with zipfile.ZipFile(built.out["docx"]) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        footer = zf.read(manuscript.FOOTER_PART).decode("utf-8")
        rels = zf.read("word/_rels/document.xml.rels").decode("utf-8")
        types = zf.read("[Content_Types].xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    sections = re.findall(r"<w:sectPr\b.*?</w:sectPr>", document, flags=re.S)
    assert sections and all(f'r:id="{manuscript.FOOTER_REL_ID}"' in s for s in sections)
    assert "PAGE" in footer and "<w:suppressLineNumbers/>" in footer
    assert f'Id="{manuscript.FOOTER_REL_ID}"' in rels and "/word/footer1.xml" in types
    for sid in ("Title", "Heading1", "Heading2", "Heading3"):
        style = re.search(rf'<w:style\b[^>]*w:styleId="{sid}".*?</w:style>', styles, flags=re.S)
        assert style and "<w:color" not in style.group(0), sid


def test_the_integration_paragraph_prints_kappa_as_the_discussion_does(tmp_path):
    """One form for one statistic: the joint display's sentences give kappa without its
    leading zero (APA), as the Discussion and the coder-agreement sentences do."""
    codebook = other_codebook()
    links = [("confidence", "leadership_role")]
    results = make_results(codebook, links=links)
    code, outcome = links[0]
    results |= {
        f"joint.{code}.{outcome}.agreement_percent": 75.4,
        f"joint.{code}.{outcome}.learners_both": 57,
        f"joint.{code}.{outcome}.kappa": 0.45,
    }
    text, _, _ = render(tmp_path, codebook, {}, results, links=links)
    assert "kappa .45 among the 57 learners" in text and "kappa 0.45" not in text


def test_no_sentence_of_the_prose_opens_with_a_numeral(tmp_path, shipped):
    """Style rule of journals: a sentence opens with a word ('Of the 12 codes, 4 had ...',
    not '4 of 12 codes had ...'). Checked on the prose of the rendered manuscript (tables,
    quotations and references left aside)."""
    results = make_results(shipped.codebook, links=shipped_links(shipped))
    text, _, _ = render(tmp_path, shipped.codebook, {}, results, links=shipped_links(shipped))
    assert "had a kappa, or the lower limit" in text  # the sentence that opened with a count
    body = text.split("# References")[0]
    paragraphs = [
        " ".join(block.split("\n"))
        for block in body.split("\n\n")
        if block.strip() and not block.lstrip().startswith(("|", ">", ":", "!["))
    ]
    openings = [m.group(0) for p in paragraphs for m in re.finditer(r"(?<=[a-z)\]%*][.!?]) +\d[^ ]* \w+", p)]
    assert openings == []


def test_tables_print_bounded_statistics_as_the_text_does():
    """Rule (apa_columns): in the columns of p, kappa, alpha and positive agreement the
    zero before the point is dropped, as the text prints them ('p < .001', 'kappa .46');
    other columns (percentages, SMD, odds ratios) keep it."""
    header = ["Code", "Kappa (CI)", "p (Holm)", "SMD", "Odds ratio (95% CI)", "Positive agreement"]
    rows = [["A", "0.82 (0.68 to 0.93)", "<0.001", "0.10", "0.50 (0.20 to 1.10)", "0.84"]]
    rows += [["B", "\u22120.04 (\u22120.21 to 0.10)", "0.479", "\u22120.10", "10.50 (3.00 to 30.00)", "1.00"]]
    assert manuscript.apa_columns(header, rows) == [
        ["A", ".82 (.68 to .93)", "<.001", "0.10", "0.50 (0.20 to 1.10)", ".84"],
        ["B", "\u2212.04 (\u2212.21 to .10)", ".479", "\u22120.10", "10.50 (3.00 to 30.00)", "1.00"],
    ]
    table = manuscript.embed_table("| Outcome | p |\n| :--- | ---: |\n| A | 0.031 |\n", 2, "Outcomes.")
    assert "| A | .031 |" in table


def test_category_rows_start_with_a_capital_as_their_variables_do():
    """A category printed under its variable ('yes' under 'Previous activism', 'non-binary'
    under 'Gender') starts with a capital in the manuscript's tables, as 'Female' and the
    variables' own rows do; a label that starts otherwise ('(missing)') is left as it is."""
    markdown = (
        "| Characteristic | Control | p |\n| :--- | ---: | ---: |\n| **Previous activism** |  | 0.077 |\n"
        "|   yes | 15 (15.0%) |  |\n|   non-binary | 0 (0.0%) |  |\n|   (missing) | 1 |  |\n|   Female | 2 |  |\n"
    )
    table = manuscript.embed_table(markdown, 1, "Baseline.")
    assert "| \u2003Yes |" in table and "| \u2003Non-binary |" in table
    assert "| \u2003(missing) |" in table and "| \u2003Female |" in table and "| .077 |" in table


def test_docx_sets_a_short_wide_table_upright_as_the_pdf_does(tmp_path):
    """The DOCX's tables are set as the PDF's (a serif face at 7.5 pt): a short table that
    the PDF sets upright stays on the portrait page in the DOCX too, with the portrait
    page's widths, every word inside its column, and its note in the 9 pt note style;
    a table whose words overfill the portrait page is still turned."""
    from compendium.checks import typesetting
    from compendium.reporting import tables

    text = "# Results\n\nTable 2 gives the outcomes.\n\n" + _outcome_table(4) + "\nThe text runs on.\n"
    out = tmp_path / "upright.docx"
    manuscript.to_docx(text, out, tmp_path, {})
    with zipfile.ZipFile(out) as zf:
        document = zf.read("word/document.xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    assert 'w:orient="landscape"' not in document
    widths = [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', document)]
    assert abs(sum(widths) - manuscript.DOCX_TEXT_WIDTH) <= len(widths)
    assert typesetting.check_docx(out) == []
    table_style = re.search(r'<w:style\b[^>]*w:styleId="TableText".*?</w:style>', styles, flags=re.S).group(0)
    assert manuscript.DOCX_TABLE_FACE in table_style and f'w:sz w:val="{manuscript.DOCX_TABLE_SIZE}"' in table_style
    assert re.search(r'<w:pStyle w:val="TableNote"/>.*?A note\.', document, flags=re.S)
    wide = tables.pipe_table(
        ["Outcome", "Code", *[f"Estimate {k} (95% CI)" for k in range(8)]],
        [["Outcome number 1 of the study", "A code of the codebook"] + ["2.50 (1.75 to 3.25)"] * 8],
        ["l", "l"] + ["r"] * 8,
    )
    manuscript.to_docx(wide + "\n: Table 3. Wide.\n", out, tmp_path, {})
    with zipfile.ZipFile(out) as zf:
        assert 'w:orient="landscape"' in zf.read("word/document.xml").decode("utf-8")


def test_a_column_of_estimates_is_either_all_on_one_line_or_all_wrapped():
    """Rule (even_estimates): an estimate and its interval are kept on one line in every
    cell of their column when the table still fits upright so; otherwise the column may
    wrap before the interval (Table 2's shape), never some cells one way and some the other."""
    from compendium.reporting import tables

    nb = "\u00a0"
    header = ["Code", "Theme", "Kappa (CI)", "Alpha (CI)", "Flag"]
    align = ["l", "l", "r", "r", "l"]
    rows = [
        ["Personal experience of discrimination", "Motivations for engagement", f".82 (.68{nb}to{nb}.93)"]
        + [f".83 (.68{nb}to{nb}.93)", ""],
        ["Health fairs", "Strategies of activism", f".94 (.87{nb}to{nb}1.00)", f".94 (.87{nb}to{nb}1.00)", "κ < 0.6"],
    ]
    even = manuscript.even_estimates(header, align, rows)
    assert even[0][2] == f".82{nb}(.68{nb}to{nb}.93)" and even[1][3] == f".94{nb}(.87{nb}to{nb}1.00)"
    assert even[0][0] == rows[0][0] and even[1][4] == "κ < 0.6"
    table2 = _outcome_table(4)
    header, align, rows = tables.parse_pipe_table([line for line in table2.split("\n") if line.startswith("|")])
    kept = manuscript.even_estimates(header, align, rows)
    assert kept == rows  # joined, its labels would wrap onto more than three lines


def test_a_code_no_coder_applied_is_not_said_to_have_a_low_kappa(tmp_path):
    """Data nobody had seen (a codebook with codes never applied): Table 3 flags such a
    code's kappa as undefined; the text must not count it among the codes whose kappa fell
    below the threshold, nor say it was 'flagged for low agreement'."""
    codebook = other_codebook()
    results = make_results(codebook)
    unused = codebook["code"].iloc[2]  # confidence
    results |= {
        f"irr.{unused}.flagged": True,
        f"irr.{unused}.cohen_kappa": None,
        f"irr.{unused}.coder_1_count": 0,
        f"irr.{unused}.coder_2_count": 0,
        f"irr.{unused}.units": 120,
        f"themes.resolution.{unused}.disagreements": 0,
        f"themes.resolution.{unused}.units": 120,
    }
    text, _, _ = render(tmp_path, codebook, {}, results)
    body = " ".join(text.split())
    assert (
        "Of the 3 codes, 1 had a kappa, or the lower limit of its interval, below the threshold of 0.6 (Time pressure)."
        in body
    )
    assert "The kappa of Confidence is undefined, since neither coder applied it" in body
    assert "Confidence was flagged for low agreement" not in body
    assert "Confidence has no kappa: neither coder applied it in the 120 units both coded" in body


def test_a_characteristic_with_a_suppressed_level_that_already_differs_is_said_to_differ(tmp_path):
    """Balance is judged by the largest |SMD| over a characteristic's levels. When a level
    is suppressed that largest value is unknown, but a visible level with |SMD| >= 0.2
    bounds it from below: the arms differed, and the text must not call that balance
    'not estimable'. A suppressed characteristic whose visible levels stay below 0.2
    remains not estimable."""
    codebook = other_codebook()
    results = make_results(codebook)
    results |= {
        "table1.ethnicity.Central_Asian.n.control": 11,
        "table1.ethnicity.Central_Asian.n.intervention": 11,
        "table1.ethnicity.Central_Asian.percent.control": 14.3,
        "table1.ethnicity.Central_Asian.percent.intervention": 28.2,
        "table1.ethnicity.Central_Asian.percent.smd": 0.35,
        "table1.ethnicity.Pacific_Islander.n.control": 9,
        "table1.ethnicity.Pacific_Islander.n.intervention": None,
        "table1.ethnicity.Pacific_Islander.percent.control": 11.7,
        "table1.ethnicity.Pacific_Islander.percent.intervention": None,
        "table1.ethnicity.Pacific_Islander.percent.smd": None,
        "table1.region.North.n.control": 30,
        "table1.region.North.n.intervention": 31,
        "table1.region.North.percent.control": 40.0,
        "table1.region.North.percent.intervention": 42.0,
        "table1.region.North.percent.smd": 0.04,
        "table1.region.South.n.control": None,
        "table1.region.South.n.intervention": 3,
        "table1.region.South.percent.control": None,
        "table1.region.South.percent.intervention": 4.0,
        "table1.region.South.percent.smd": None,
    }
    text, _, _ = render(tmp_path, codebook, {}, results)
    body = " ".join(text.split())
    assert "ethnicity (the intervention arm held more learners recorded as Central Asian, 28% against 14%)" in body
    assert "balance in region was not estimable" in body
    assert "and ethnicity (|SMD| at least 0.35);" in body
    assert "Balance in region could not be judged" in body


def test_table_3_note_explains_an_undefined_kappa_only_when_one_is_flagged():
    """Table 3 flags a code neither coder applied as 'kappa undefined'; its note must say
    what that flag means, as it does for the threshold flags."""
    codebook = other_codebook()
    results = make_results(codebook)
    assert "kappa undefined" not in manuscript.table_notes(results)["table3"]
    results |= {"irr.confidence.flagged": True, "irr.confidence.cohen_kappa": None}
    note = manuscript.table_notes(results)["table3"]
    assert "kappa undefined: the coders' choices on the code did not vary (typically, neither applied it)" in note
