"""The seeded generator: byte-for-byte reproducible, and faithful to the paper."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest
import yaml

from compendium.contract import load_study
from compendium.demographics import table1
from compendium.outcomes import derive, table2
from compendium.synthesize import synthesize


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_shipped_raw_data_is_exactly_the_generators_output(root, tmp_path):
    info = yaml.safe_load((root / "data" / "raw" / "dataset.yaml").read_text())
    synthesize(tmp_path / "raw", seed=info["seed"], scale=info["scale"], sites=info["sites"],
               truth_dir=tmp_path / "synthetic")
    shipped, fresh = _tree(root / "data" / "raw"), _tree(tmp_path / "raw")
    assert sorted(shipped) == sorted(fresh)
    differ = [name for name in shipped if shipped[name] != fresh[name]]
    assert not differ, f"regenerated files differ from the shipped ones: {differ[:10]}"
    cmp = filecmp.dircmp(root / "data" / "synthetic", tmp_path / "synthetic")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def test_the_data_say_they_are_synthetic(root):
    raw = root / "data" / "raw"
    assert yaml.safe_load((raw / "dataset.yaml").read_text())["synthetic"] is True
    assert "SYNTHETIC" in (raw / "README.md").read_text()
    assert "synthetic" in (root / "README.md").read_text().lower()


@pytest.fixture(scope="module")
def published(root) -> dict:
    claims = yaml.safe_load((root / "data" / "reference" / "published.yaml").read_text())["claims"]
    return {c["key"]: c for c in claims}


def test_shipped_data_reproduce_tables_1_and_2_at_the_papers_rounding(shipped_study, published):
    from compendium.tables import table1_results, table2_results

    s = shipped_study
    learners = derive(s.participants, s.survey, s.cc_items, s.support_items)
    results = {**table1_results(table1(s.participants)), **table2_results(table2(learners))}
    for key, claim in published.items():
        value = results[key]
        if claim["kind"] == "p_below":
            assert value < claim["value"], key
        else:
            assert round(value, claim["decimals"]) == pytest.approx(claim["value"]), (key, value)


def test_outcomes_arise_from_items_not_from_flags(root):
    survey = pd.read_csv(root / "data" / "raw" / "survey.csv")
    assert not {"increased_cultural_competence", "perceived_support", "leadership_role"} & set(survey.columns)


def test_scale_and_sites(tmp_path):
    synthesize(tmp_path, seed=7, scale=2, sites=3)
    study = load_study(tmp_path)
    assert len(study.participants) == 400
    assert set(study.participants["site"]) == {"site_1", "site_2", "site_3"}
    per_site = study.participants.groupby(["site", "group"]).size()
    assert per_site.min() >= 60  # both arms at every site
    assert len(study.sources) > 90  # 96 written, some dropped for withdrawn consent
    t2 = table2(derive(study.participants, study.survey, study.cc_items, study.support_items)).set_index("outcome")
    assert t2.loc["leadership_role", "control_events"] == 10
    assert t2.loc["leadership_role", "intervention_events"] == 80


def test_different_seeds_give_different_data_with_the_same_margins(tmp_path):
    synthesize(tmp_path / "a", seed=1)
    synthesize(tmp_path / "b", seed=2)
    a, b = load_study(tmp_path / "a"), load_study(tmp_path / "b")
    assert not a.survey.equals(b.survey)
    ta = table2(derive(a.participants, a.survey, a.cc_items, a.support_items))
    tb = table2(derive(b.participants, b.survey, b.cc_items, b.support_items))
    pd.testing.assert_series_equal(ta["intervention_events"], tb["intervention_events"])


def test_coders_disagree_realistically(shipped_study):
    """Cohen's kappa per code (sklearn as the reference) lies roughly in 0.55 to 0.9."""
    from sklearn.metrics import cohen_kappa_score

    s = shipped_study
    c = s.codings
    both = set(c.loc[c["coder"] == "coder_a", "source_id"]) & set(c.loc[c["coder"] == "coder_b", "source_id"])
    units = s.units[s.units["source_id"].isin(both)]
    keys = list(zip(units["source_id"], units["unit"].astype(int)))
    kappas = {}
    for code in sorted(set(c["code"])):
        def coded(coder):
            rows = c[(c["coder"] == coder) & (c["code"] == code)]
            return set(zip(rows["source_id"], rows["unit"].astype(int)))
        a, b = coded("coder_a"), coded("coder_b")
        kappas[code] = cohen_kappa_score([k in a for k in keys], [k in b for k in keys])
    values = sorted(kappas.values())
    assert 0.6 <= values[len(values) // 2] <= 0.9, kappas
    assert values[0] >= 0.4 and values[-1] <= 0.97, kappas
    assert values[-1] - values[0] >= 0.2, "disagreement should depend on the code"


def test_planted_identifiers_are_in_the_text(root):
    planted = pd.read_csv(root / "data" / "synthetic" / "planted_identifiers.csv")
    assert set(planted["kind"]) >= {"person", "first", "inst", "email", "phone", "url", "handle"}
    for row in planted.sample(40, random_state=0).itertuples():
        text = (root / "data" / "raw" / "sources" / f"{row.source_id}.md").read_text(encoding="utf-8")
        assert row.text in text


@pytest.mark.parametrize("kw", [{"scale": 0}, {"sites": 0}])
def test_bad_arguments(tmp_path, kw):
    with pytest.raises(ValueError, match="at least 1"):
        synthesize(tmp_path, **kw)
