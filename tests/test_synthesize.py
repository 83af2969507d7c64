"""The seeded generator: byte-for-byte reproducible, and faithful to the paper."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest
import yaml

from compendium.data.contract import load_study
from compendium.quantitative.demographics import table1
from compendium.quantitative.outcomes import derive, table2
from compendium.synthesize import synthesize


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_shipped_raw_data_is_exactly_the_generators_output(root, tmp_path):
    """The repository's data/raw, while it is the shipped set, is the generator's output
    byte for byte. A team that replaced it with its own study has nothing to compare."""
    from compendium.data.validated import is_paper_twin

    dataset = root / "data" / "raw" / "dataset.yaml"
    info = yaml.safe_load(dataset.read_text()) if dataset.is_file() else {}
    if not is_paper_twin(info or {}):
        pytest.skip("data/raw holds a study's own data, not the shipped synthetic set")
    synthesize(
        tmp_path / "raw", seed=info["seed"], scale=info["scale"], sites=info["sites"], truth_dir=tmp_path / "synthetic"
    )
    shipped, fresh = _tree(root / "data" / "raw"), _tree(tmp_path / "raw")
    assert sorted(shipped) == sorted(fresh)
    differ = [name for name in shipped if shipped[name] != fresh[name]]
    assert not differ, f"regenerated files differ from the shipped ones: {differ[:10]}"
    cmp = filecmp.dircmp(root / "data" / "synthetic", tmp_path / "synthetic")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def test_the_data_say_they_are_synthetic(root, pristine):
    raw = pristine.raw
    assert yaml.safe_load((raw / "dataset.yaml").read_text())["synthetic"] is True
    assert "SYNTHETIC" in (raw / "README.md").read_text()
    assert "synthetic" in (root / "README.md").read_text().lower()


@pytest.fixture(scope="module")
def published(root) -> dict:
    claims = yaml.safe_load((root / "data" / "reference" / "published.yaml").read_text())["claims"]
    return {c["key"]: c for c in claims}


def test_shipped_data_reproduce_tables_1_and_2_at_the_papers_rounding(shipped_study, published):
    from compendium.reporting.tables import table1_results, table2_results

    s = shipped_study
    learners = derive(s.participants, s.survey, s.cc_items, s.support_items)
    results = {**table1_results(table1(s.participants)), **table2_results(table2(learners))}
    for key, claim in published.items():
        value = results[key]
        if claim["kind"] == "p_below":
            assert value < claim["value"], key
        else:
            assert round(value, claim["decimals"]) == pytest.approx(claim["value"]), (key, value)


def test_outcomes_arise_from_items_not_from_flags(pristine):
    survey = pd.read_csv(pristine.raw / "survey.csv")
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


def test_planted_identifiers_are_in_the_text(pristine):
    planted = pd.read_csv(pristine.truth / "planted_identifiers.csv")
    assert set(planted["kind"]) >= {"person", "first", "inst", "email", "phone", "url", "handle"}
    for row in planted.sample(40, random_state=0).itertuples():
        text = (pristine.raw / "sources" / f"{row.source_id}.md").read_text(encoding="utf-8")
        assert row.text in text


@pytest.mark.parametrize("kw", [{"scale": 0}, {"sites": 0}])
def test_bad_arguments(tmp_path, kw):
    with pytest.raises(ValueError, match="at least 1"):
        synthesize(tmp_path, **kw)


# --------------------------------------------------------------------------- the independent design

import re  # noqa: E402

from compendium.core.config import Arms  # noqa: E402
from compendium.data import sources as source_format  # noqa: E402
from compendium.synthesize import independent_text as itb  # noqa: E402
from compendium.synthesize import textbank as paper_bank  # noqa: E402
from compendium.synthesize.independent import n_themes_for  # noqa: E402

INDEPENDENT_ARMS = Arms(control="waitlist", intervention="workshop")
SEED = 20251026


def _independent(root_dir: Path, seed: int = SEED) -> Path:
    """Generate the independent design as a project would hold it: data/raw + data/synthetic."""
    synthesize(root_dir / "data" / "raw", seed=seed, design="independent", truth_dir=root_dir / "data" / "synthetic")
    return root_dir


@pytest.fixture(scope="module")
def indep(tmp_path_factory) -> Path:
    return _independent(tmp_path_factory.mktemp("independent"))


@pytest.fixture(scope="module")
def indep_study(indep):
    return load_study(indep / "data" / "raw", arms=INDEPENDENT_ARMS, consensus_coder="rk")


@pytest.fixture(scope="module")
def paper(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("paper")
    synthesize(out / "data" / "raw", seed=SEED, truth_dir=out / "data" / "synthetic")
    return out


def _raw_units(raw: Path) -> dict[tuple[str, int], str]:
    """Every unit of every source, withdrawn speakers included, read independently of
    the contract module (the generator's truth covers the raw files)."""
    units = {}
    for path in sorted((raw / "sources").glob("*.md")):
        parsed = source_format.split_front_matter(path.read_text(encoding="utf-8"))
        if parsed.meta["type"] == "document":
            found = source_format.split_paragraphs(parsed.body)
        else:
            speakers = set(parsed.meta["participants"]) | set(parsed.meta["facilitators"])
            found = source_format.split_turns(parsed.body, speakers)[0]
        units.update({(path.stem, u.number): u.text for u in found})
    return units


def _sentences(text: str) -> set[str]:
    return {s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.strip()) > 15}


def _body_sentences(raw: Path) -> set[str]:
    out: set[str] = set()
    for text in _raw_units(raw).values():
        out |= _sentences(text)
    return out


def test_independent_design_follows_the_contract(indep_study, indep):
    s = indep_study
    assert set(s.participants["group"]) == {"waitlist", "workshop"}
    enrolled = pd.read_csv(indep / "data" / "raw" / "participants.csv", keep_default_na=False)
    assert 30 <= len(enrolled) <= 60
    sizes = s.participants["group"].value_counts()
    assert sizes["waitlist"] != sizes["workshop"]
    assert s.participants["site"].nunique() == 3
    assert not set(s.participants["site"]) & {"all", "site_1", "site_2", "site_3"}
    assert s.participants["age"].isna().sum() >= 2
    raw_survey = pd.read_csv(indep / "data" / "raw" / "survey.csv")
    items = [c for c in raw_survey.columns if c.startswith(("cc_", "support_"))]
    assert raw_survey[items].isna().sum().sum() >= 4
    assert len(s.withdrawn) >= 2 and s.flow["sources"]["dropped_withdrawn"] >= 1
    assert s.flow["sources"]["units_dropped_withdrawn"] > 0
    assert set(s.sources["type"]) == {"interview", "document"}
    assert not (indep / "data" / "raw" / "coding" / "consensus.csv").exists()
    assert s.coders == ["mt", "rk"]
    assert len(s.cc_items) != 6 and len(s.support_items) != 4
    assert not any(re.match(r"^(INT|FG|DOC)-\d+$", x) for x in s.sources["source_id"])


def test_independent_design_is_deterministic(tmp_path):
    a, b = _independent(tmp_path / "a"), _independent(tmp_path / "b")
    assert _tree(a) == _tree(b)
    c = _independent(tmp_path / "c", seed=SEED + 1)
    assert _tree(a)["data/raw/survey.csv"] != _tree(c)["data/raw/survey.csv"]


def test_number_of_themes_varies_with_the_seed_down_to_one(tmp_path):
    counts = {}
    for seed in (4, 5, 6, 7):
        summary = synthesize(tmp_path / str(seed), seed=seed, design="independent")
        counts[seed] = len(summary["themes"])
        assert counts[seed] == n_themes_for(seed)
        codebook = yaml.safe_load((tmp_path / str(seed) / "codebook.yaml").read_text(encoding="utf-8"))
        assert all(2 <= len(t["codes"]) <= 4 for t in codebook["themes"])
        load_study(tmp_path / str(seed), arms=INDEPENDENT_ARMS, consensus_coder="rk")
    assert counts[4] == 1 and sorted(counts.values()) == [1, 2, 3, 4]


def test_independent_design_shares_nothing_with_the_paper_design(indep, paper, indep_study):
    ids = lambda cb: {t["id"] for t in cb["themes"]} | {c["id"] for t in cb["themes"] for c in t["codes"]}  # noqa: E731
    labels = lambda cb: {t["label"] for t in cb["themes"]} | {c["label"] for t in cb["themes"] for c in t["codes"]}  # noqa: E731
    cb_i = yaml.safe_load((indep / "data" / "raw" / "codebook.yaml").read_text(encoding="utf-8"))
    cb_p = yaml.safe_load((paper / "data" / "raw" / "codebook.yaml").read_text(encoding="utf-8"))
    assert not ids(cb_i) & ids(cb_p)
    assert not labels(cb_i) & labels(cb_p)
    # every code of the whole pool, not only this seed's
    pool = {t["id"] for t in itb.THEME_POOL} | {c["id"] for t in itb.THEME_POOL for c in t["codes"]}
    assert not pool & ids(cb_p)
    assert not set(indep_study.participants["group"]) & {"control", "intervention"}
    shared = _body_sentences(indep / "data" / "raw") & _body_sentences(paper / "data" / "raw")
    assert not shared, sorted(shared)[:5]
    coders_p = {p.stem for p in (paper / "data" / "raw" / "coding").glob("*.csv")}
    assert not coders_p & set(indep_study.coders)
    planted_i = pd.read_csv(indep / "data" / "synthetic" / "planted_identifiers.csv")
    planted_p = pd.read_csv(paper / "data" / "synthetic" / "planted_identifiers.csv")
    words_p = {w.lower() for t in planted_p["text"] for w in re.findall(r"[\w'-]+", t)}
    names_i = {t.lower() for t in planted_i.loc[planted_i["kind"] == "person", "text"]}
    assert not names_i & words_p
    assert not set(planted_i["text"]) & set(planted_p["text"])


def _words(text: str) -> set[str]:
    """Lower-case words of a text and the parts of its hyphenated or apostrophe words."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text)}
    return words | {p for w in words for p in re.split(r"['’-]", w) if len(p) > 2}


def test_no_planted_name_or_place_is_in_any_list_the_package_uses(indep, root):
    """Every word list shipped in the package (lexicons, allowed terms, benchmark
    corpora: any .txt under src/compendium) and the paper design's names."""
    listed: set[str] = set()
    for path in sorted((root / "src" / "compendium").rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                listed |= _words(line)
    listed |= _words(" ".join(paper_bank.FIRST_NAMES + paper_bank.SURNAMES + paper_bank.INSTITUTIONS))
    planted = pd.read_csv(indep / "data" / "synthetic" / "planted_identifiers.csv")
    names = set(planted.loc[planted["kind"].isin(["person", "place"]), "text"])
    every = {n for first, last in itb.NAMES.values() for n in first + last} | set(itb.PLACES)
    for name in sorted(names | every):
        parts = {w for w in _words(name) if len(w) > 2}
        assert parts and not parts & listed, (name, parts & listed)


def test_truth_lists_every_planted_identifier(indep):
    raw = indep / "data" / "raw"
    planted = pd.read_csv(indep / "data" / "synthetic" / "planted_identifiers.csv")
    assert set(planted["kind"]) >= {"person", "inst", "place", "email", "phone", "url", "handle", "dob", "id_number"}
    units = _raw_units(raw)
    for row in planted.itertuples():
        assert row.text in units[(row.source_id, int(row.unit))], row
    listed = set(zip(planted["source_id"], planted["unit"].astype(int), planted["text"]))
    names = {n for first, last in itb.NAMES.values() for n in first + last}
    needles = (
        names
        | {n.upper() for n in names}
        | {n.lower() for n in names}
        | set(itb.INSTITUTIONS)
        | set(itb.PLACES)
        | set(itb.URLS)
        | set(itb.BARE_URLS)
        | set(itb.HANDLES)
    )
    email = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    for (source, unit), text in units.items():
        for found in re.findall(email, text):
            assert (source, unit, found) in listed, (source, unit, found)
        text = re.sub(email, " ", text)  # an e-mail address is listed whole, not by its parts
        for needle in needles:
            if re.search(rf"(?<![\w@.-]){re.escape(needle)}(?![\w-])", text):
                # a place inside a listed institution's name is covered by the institution
                inside = any(needle != t and needle in t and (source, unit, t) in listed for t in set(itb.INSTITUTIONS))
                assert inside or (source, unit, needle) in listed, (source, unit, needle)
    kinds = planted.groupby("form").size()
    for form in (
        "titled",
        "possessive",
        "upper case",
        "lower case",
        "given name alone",
        "title and surname",
        "web address without scheme",
        "web address with scheme",
        "student number",
        "date of birth, ISO",
    ):
        assert kinds.get(form, 0) >= 1, form
    texts = set(planted["text"])
    assert "O'Donovan" in texts and "Al-Rashid" in texts


def test_independent_dataset_description(indep, indep_study):
    info = yaml.safe_load((indep / "data" / "raw" / "dataset.yaml").read_text(encoding="utf-8"))
    assert info["synthetic"] is True and info["design"] == "independent" and info["seed"] == SEED
    assert info["truth_file"] == "data/synthetic/planted_identifiers.csv"
    assert (indep / info["truth_file"]).is_file()
    assert info["title"] and info["setting"] and info["period"] and info["keywords"]
    assert all("synthetic" in a["affiliation"] for a in info["authors"])
    assert "registration" not in info["design_features"]
    assert info["consensus_coder"] == "rk"
    codes = set(indep_study.codebook["code"])
    links = info["integration"]["links"]
    assert 2 <= len(links) <= 3 and {link["code"] for link in links} <= codes
    assert {link["direction"] for link in links} <= {"same", "inverse"}
    corpus = "\n".join(_raw_units(indep / "data" / "raw").values())
    public = [n for n in info["deidentify"]["allowed"] if n not in itb.SITES]
    assert public and all(n in corpus for n in public)


def test_independent_outcomes_are_not_degenerate(indep_study):
    s = indep_study
    t2 = table2(derive(s.participants, s.survey, s.cc_items, s.support_items), INDEPENDENT_ARMS)
    both = ((t2["control_events"] > 0) & (t2["intervention_events"] > 0)).sum()
    assert both >= 3
    assert (t2["test"] == "fisher").any()


def test_independent_coders_disagree_and_some_codes_are_rare(indep_study):
    c = indep_study.codings
    both = set(c.loc[c["coder"] == "mt", "source_id"])
    rk = c[(c["coder"] == "rk") & c["source_id"].isin(both)][["source_id", "unit", "code"]]
    mt = c[(c["coder"] == "mt")][["source_id", "unit", "code"]]
    a, b = set(map(tuple, rk.to_numpy())), set(map(tuple, mt.to_numpy()))
    jaccard = len(a & b) / len(a | b)
    assert 0.5 < jaccard < 0.97, jaccard
    per_code = c[c["coder"] == "rk"]["code"].value_counts()
    assert per_code.min() <= per_code.max() / 3


def test_cli_writes_the_independent_design(tmp_path):
    from compendium.cli import main

    assert (
        main(
            [
                "synthesize",
                "--design",
                "independent",
                "--seed",
                "11",
                "--out",
                str(tmp_path / "data" / "raw"),
                "--truth",
                str(tmp_path / "data" / "synthetic"),
            ]
        )
        == 0
    )
    load_study(tmp_path / "data" / "raw", arms=INDEPENDENT_ARMS, consensus_coder="rk")
    assert (tmp_path / "data" / "synthetic" / "planted_identifiers.csv").is_file()


def test_independent_design_takes_no_scale_or_sites(tmp_path):
    with pytest.raises(ValueError, match="paper design only"):
        synthesize(tmp_path, design="independent", scale=2)
    with pytest.raises(ValueError, match="design must be one of"):
        synthesize(tmp_path, design="other")


def test_paper_dataset_yaml_carries_the_study_keys(paper, root):
    info = yaml.safe_load((paper / "data" / "raw" / "dataset.yaml").read_text(encoding="utf-8"))
    assert info["design"] == "paper" and info["consensus_coder"] == "coder_a"
    assert info["truth_file"] == "data/synthetic/planted_identifiers.csv"
    assert "synthetic demonstration" in info["title"]
    codes = {c["id"] for t in paper_bank.CODEBOOK for c in t["codes"]}
    assert {link["code"] for link in info["integration"]["links"]} <= codes
    assert info["deidentify"]["places"] == paper_bank.INSTITUTIONS


def _uncoded_sentences(raw: Path, truth: Path, bank: dict[str, list[str]]) -> dict[str, set]:
    """Each sentence of five or more words in a unit the consensus coding codes (the
    units a quotation can come from), with its planted identifiers masked, mapped to the
    units it occurs in; sentences of the code bank (their slots masked alike) are left
    out: they carry the codes and are held to their own rule
    (:func:`test_a_coded_unit_says_only_its_codes_and_no_sentence_repeats`)."""
    import re

    from compendium.qualitative.themes import sentences

    study = load_study(raw)
    planted = pd.read_csv(truth / "planted_identifiers.csv", dtype=str, keep_default_na=False)
    values: dict[tuple[str, int], list[str]] = {}
    for r in planted.itertuples(index=False):
        values.setdefault((r.source_id, int(r.unit)), []).append(r.text)
    slot = re.compile(r"\{\w+\}")
    code_sentences = {" ".join(slot.sub("{}", t).lower().split()) for texts in bank.values() for t in texts}
    consensus = study.codings[study.codings["coder"] == "consensus"]
    coded = set(zip(consensus["source_id"], consensus["unit"].astype(int)))
    where: dict[str, set] = {}
    for r in study.units.itertuples(index=False):
        key = (r.source_id, int(r.unit))
        if key not in coded:
            continue
        text = str(r.text)
        for value in sorted(values.get(key, []), key=len, reverse=True):
            text = text.replace(value, "{}")
        for sentence in sentences(text):
            if sentence not in code_sentences:
                where.setdefault(sentence, set()).add(key)
    return where


@pytest.mark.parametrize(("design", "seeds"), [("paper", (20251026, 7, 11)), ("independent", (1, 2, 3, 4))])
def test_no_sentence_without_a_code_repeats_across_units(tmp_path, design, seeds):
    """Filler and identifier-carrying sentences are written once per data set (issue 13:
    "Some of my friends felt differently about it." was quoted four times). Rule: in the
    units that can be quoted, a sentence of five or more words that is not one of the
    code bank's sentences occurs in one unit only."""
    from compendium.synthesize import independent_text, textbank

    module = textbank if design == "paper" else independent_text
    bank = {c: module.SAID[c] + module.WRITTEN[c] for c in module.SAID}
    for seed in seeds:
        raw, truth = tmp_path / f"raw{seed}", tmp_path / f"truth{seed}"
        synthesize(raw, seed=seed, design=design, truth_dir=truth)
        where = _uncoded_sentences(raw, truth, bank)
        assert len(where) > 20  # the rule has material to bite on
        repeated = {s: sorted(u)[:3] for s, u in where.items() if len(u) > 1}
        assert not repeated, f"{design} seed {seed}: {list(repeated.items())[:5]}"


def test_the_old_filler_bank_fails_the_rule():
    """The check can fail: drawing fillers from a fixed bank, as the generator did before,
    repeats them."""
    import numpy as np

    from compendium.synthesize import textbank

    rng = np.random.default_rng(1)
    drawn = [str(rng.choice(textbank.FILLERS)) for _ in range(40)]
    assert len(set(drawn)) < len(drawn)
    capacity = len(textbank.FILLER_BODIES) * (1 + len(textbank.FILLER_OPENINGS)) * (1 + len(textbank.FILLER_CLOSINGS))
    written = [textbank.filler(n) for n in range(capacity)]
    assert len(set(written)) == len(written) > 1500
    pii = [textbank.pii_sentence(t, n) for t in textbank.PII_SENTENCES for n in range(200)]
    assert len(set(pii)) == len(pii)


def test_rewording_keeps_the_identifier_slots():
    """A reworded identifier sentence keeps its slots in order, so the generator's random
    draws (and with them every coding and planted identifier) are unchanged."""
    import re

    from compendium.synthesize import independent_text, textbank

    slot = re.compile(r"\{\w+\}")
    for template in textbank.PII_SENTENCES:
        for n in range(100):
            text = textbank.pii_sentence(template, n)
            assert slot.findall(text) == slot.findall(template)
            assert ". " not in text and text.endswith(".")  # a turn splits at the same sentences
    for template in independent_text.PII_SENTENCES:
        assert slot.findall(independent_text.reworded(template, 37)) == slot.findall(template)


def _can_write(design: str, code: str) -> set[str]:
    """Every sentence (slots masked as ``{}``, normalised as :func:`sentences` does) the
    generator can write for ``code``: the code's own sentences in both voices, their
    reworded forms, and the identifier sentences that speak of its topics."""
    import re

    from compendium.synthesize import independent_text, textbank

    slot = re.compile(r"\{\w+\}")
    out: list[str] = []

    def upto(write) -> None:
        for n in range(400):
            try:
                out.append(write(n))
            except ValueError:
                return

    if design == "paper":
        for voice, bank in (("said", textbank.SAID), ("written", textbank.WRITTEN)):
            for slots in {tuple(textbank._SLOTS.findall(s)) for s in bank[code]}:
                upto(lambda n, v=voice, s=slots: textbank.code_sentence(code, v, s, n))
        for template in textbank.PII_SENTENCES:
            upto(lambda n, t=template: textbank.pii_on_topic(t, code, n))
    else:
        for voice in ("said", "written"):
            upto(lambda n, v=voice: independent_text.code_sentence(code, v, n))
        for template in independent_text.PII_SENTENCES:
            for n in range(12):
                out.append(independent_text.pii_on_topic(template, code, n))
    # as the planted-identifier list masks them: a name's given and family names are two
    # identifiers, and a title is not one (:func:`_coded_unit_sentences` drops it)
    two = re.compile(r"\{(?:titled|full|upper)\}")
    poss = re.compile(r"\{poss\}")
    return {" ".join(slot.sub("{}", poss.sub("{}'s", two.sub("{} {}", s))).lower().split()) for s in out}


def _coded_unit_sentences(raw: Path, truth: Path) -> dict[tuple[str, int], tuple[list[str], list[str], bool]]:
    """Each unit the generator wrote for codes (truth/true_codes.csv): its sentences with
    the planted identifiers masked as ``{}``, its codes, and whether it carries one."""
    import re

    from compendium.qualitative.themes import sentences

    units = _raw_units(raw)
    titles = sorted({t.lower() for t in paper_bank.TITLES + itb.TITLES}, key=len, reverse=True)
    titled = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, titles)) + r") \{\}")
    true = pd.read_csv(truth / "true_codes.csv", dtype=str)
    planted = pd.read_csv(truth / "planted_identifiers.csv", dtype=str, keep_default_na=False)
    values: dict[tuple[str, int], list[str]] = {}
    for r in planted.itertuples(index=False):
        values.setdefault((r.source_id, int(r.unit)), []).append(r.text)
    out = {}
    for (source, unit), part in true.groupby(["source_id", "unit"]):
        key = (source, int(unit))
        text = units[key]
        for value in sorted(values.get(key, []), key=len, reverse=True):
            text = text.replace(value, "{}")
        said = {titled.sub("{}", sentence) for sentence in sentences(text, min_words=1)}
        out[key] = (sorted(said), sorted(part["code"]), key in values)
    return out


@pytest.mark.parametrize(("design", "seeds"), [("paper", (20251026, 7)), ("independent", (1, 2))])
def test_a_coded_unit_says_only_its_codes_and_no_sentence_repeats(tmp_path, design, seeds):
    """Issue 13: quotes carried sentences unrelated to their code. Rule: every sentence of
    a unit written for codes is one the generator writes for one of those codes (an
    identifier sits in a sentence about one of its topics), and no sentence
    (identifiers masked) occurs in two such units. On the generator before the change a
    unit carried filler sentences and the code sentences came from banks of six or seven,
    so both parts fail."""
    for seed in seeds:
        raw, truth = tmp_path / f"raw{seed}", tmp_path / f"truth{seed}"
        synthesize(raw, seed=seed, design=design, truth_dir=truth)
        units = _coded_unit_sentences(raw, truth)
        assert len(units) > 60
        allowed: dict[str, set[str]] = {}
        where: dict[str, set] = {}
        strays = []
        for key, (said, codes, _) in units.items():
            ok = set().union(*(allowed.setdefault(c, _can_write(design, c)) for c in codes))
            for sentence in said:
                where.setdefault(sentence, set()).add(key)
                if sentence not in ok:
                    strays.append((key, codes, sentence))
        assert not strays, f"{design} seed {seed}: {strays[:5]}"
        repeated = {s: sorted(u)[:3] for s, u in where.items() if len(u) > 1}
        assert not repeated, f"{design} seed {seed}: {list(repeated.items())[:5]}"


def test_the_shipped_seed_writes_every_code_sentence_from_the_bank(tmp_path):
    """At the shipped seed no code sentence is a bank sentence behind an added opening:
    each is written once, as it stands in :mod:`compendium.synthesize.codetext`."""
    import re

    from compendium.synthesize import textbank

    synthesize(tmp_path / "raw", seed=SEED, truth_dir=tmp_path / "truth")
    units = _coded_unit_sentences(tmp_path / "raw", tmp_path / "truth")
    slot = re.compile(r"\{\w+\}")
    bank = {
        " ".join(slot.sub("{}", s).lower().split())
        for b in (textbank.SAID, textbank.WRITTEN)
        for v in b.values()
        for s in v
    }
    said = [s for ss, _, _ in units.values() for s in ss]
    from_bank = [s for s in said if s in bank]
    assert len(from_bank) > 300
    openings = tuple(o.lower() for o in textbank.SAID_OPENINGS + textbank.WRITTEN_OPENINGS)
    assert not [s for s in said if s.startswith(openings)]


def test_the_exemplar_quotes_repeat_no_sentence_and_stay_on_their_code(shipped_run):
    """The manuscript's quotes (the pipeline's exemplar_quotes.csv on the shipped twin):
    no sentence is read twice, and every sentence is one written for the quote's code
    (placeholders of redacted identifiers masked)."""
    import re

    from compendium.qualitative.deidentify import PLACEHOLDER
    from compendium.qualitative.themes import sentences

    quotes = pd.read_csv(shipped_run / "reports" / "tables" / "exemplar_quotes.csv", dtype=str, keep_default_na=False)
    assert len(quotes) >= 12
    seen: dict[str, int] = {}
    strays = []
    titled = re.compile(r"\b(?:" + "|".join(paper_bank.TITLES) + r") \{\}")
    for r in quotes.itertuples(index=False):
        allowed = _can_write("paper", r.code)
        for sentence in sentences(r.quote, min_words=1):
            seen[sentence] = seen.get(sentence, 0) + 1
        for sentence in sentences(PLACEHOLDER.sub("{}", r.quote), min_words=1):
            if sentence not in allowed and titled.sub("{}", sentence) not in allowed:
                strays.append((r.code, sentence))
    assert not [s for s, n in seen.items() if n > 1]
    assert not strays, strays[:5]


@pytest.mark.parametrize("seed", [SEED, 7])
def test_no_learner_sentence_repeats_anywhere_in_the_paper_corpus(tmp_path, seed):
    """Beyond the coded units: at scale 1 every sentence a learner says or writes
    (fillers, identifier sentences and document frames included) occurs once in the
    whole corpus. Only the facilitators' questions repeat, as an interview guide does."""
    import collections

    from compendium.qualitative.themes import sentences

    raw = tmp_path / "raw"
    synthesize(raw, seed=seed)
    study = load_study(raw, consensus_coder="coder_a")
    facilitators = {f for fs in study.sources["facilitators"].dropna() for f in fs}
    where: dict[str, set] = collections.defaultdict(set)
    for r in study.units.itertuples(index=False):
        if r.speaker in facilitators:
            continue
        for sentence in sentences(str(r.text), min_words=1):
            where[sentence].add((r.source_id, int(r.unit)))
    assert len(where) > 400
    repeated = {s: sorted(u)[:3] for s, u in where.items() if len(u) > 1}
    assert not repeated, list(repeated.items())[:5]


def test_data_far_larger_than_a_study_can_be_written(tmp_path):
    """--scale serves timing (make bench writes --scale 100): past the text banks'
    capacity of distinct sentences the sequences start again instead of failing."""
    from compendium.synthesize import textbank

    bank = ["One.", "Two.", "Three."]
    capacity = len(bank) * (1 + len(textbank.WRITTEN_OPENINGS) * (1 + len(textbank.FILLER_CLOSINGS)))
    seen = [textbank.nth_sentence(bank, n, textbank.WRITTEN_OPENINGS) for n in range(capacity)]
    assert len(set(seen)) == capacity
    assert textbank.nth_sentence(bank, capacity + 2, textbank.WRITTEN_OPENINGS) == seen[2]
    synthesize(tmp_path / "raw", scale=100)
    assert len(pd.read_csv(tmp_path / "raw" / "participants.csv")) == 20400
