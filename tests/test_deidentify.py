"""De-identification: each kind of identifier, names never seen before, consistent
pseudonyms, the review file, and token recall/precision on two independent references:
the project's held-out benchmark (hand-annotated, names kept out of every word list the
detector uses) and the identifiers the synthetic-data generator planted."""

from __future__ import annotations

import re
import shutil
import unicodedata

import pandas as pd
import pytest

from compendium.qualitative import deidentify as d
from compendium.qualitative.deidentify import Deidentifier, deidentify_units, score, summary

HALF = re.compile(r"\]-[A-Z]|\]['’][A-Z]|\[(?:Person|Place|Institution) \d+\] ([A-Z][\w'’-]*)")


def half_redactions(text: str) -> list[str]:
    """Pseudonyms glued to what looks like the rest of a name: `]-Jane`, `[Person 3] Okafor`
    (a following capitalised word that is neither a common nor a public word)."""
    public = d.word_lists()["public_terms"]
    out = []
    for m in HALF.finditer(text):
        word = m.group(1)
        if word is None or not (d.is_common(word.lower()) or word.lower() in public or word.isupper()):
            out.append(m.group())
    return out


@pytest.fixture(scope="module")
def deid():
    return Deidentifier(places=["Saint Elsewhere Teaching Trust"], names=["Zebedee Quarrington"])


@pytest.mark.parametrize(
    "text,kind,found",
    [
        ("write to amina.rauf@northfield-hospital.org today", "email", "amina.rauf@northfield-hospital.org"),
        ("or j_smith+meds@mail.example.co.uk.", "email", "j_smith+meds@mail.example.co.uk"),
        ("call +92 312 555 0143 now", "phone", "+92 312 555 0143"),
        ("call 0312-5550143 now", "phone", "0312-5550143"),
        ("call (051) 555-0199.", "phone", "(051) 555-0199"),
        ("call +44 20 5550 0143", "phone", "+44 20 5550 0143"),
        ("see https://www.fairmeded.org/petition.", "url", "https://www.fairmeded.org/petition"),
        ("see www.studentsforequity.net/join, then", "url", "www.studentsforequity.net/join"),
        ("see example.org/path today", "url", "example.org/path"),
        ("sign at foo.co.za please", "url", "foo.co.za"),
        ("we post as @antiracist_meds daily", "handle", "@antiracist_meds"),
        ("placement at Hillcrest General Hospital last year", "institution", "Hillcrest General Hospital"),
        ("The Eastbrook School of Medicine agreed", "institution", "Eastbrook School of Medicine"),
        ("at Saint Elsewhere Teaching Trust, things", "institution", "Saint Elsewhere Teaching Trust"),
        ("she trained at Hôpital Saint-Louis in the south", "institution", "Hôpital Saint-Louis"),
        ("then the Universidad de Antioquia replied", "institution", "Universidad de Antioquia"),
        ("a year at Klinikum Großhadern was enough", "institution", "Klinikum Großhadern"),
        ("on Fridays at Lakeside Clinic we", "institution", "Lakeside Clinic"),
        ("then Dr Farah Siddiqui said", "person", "Dr Farah Siddiqui"),
        ("and Prof. Okonkwo agreed", "person", "Prof. Okonkwo"),
        ("Nurse Rubina was kind", "person", "Nurse Rubina"),
        ("my friend Hamza Malik came", "person", "Hamza Malik"),
        ("Ayesha kept the notes", "person", "Ayesha"),
        ("Hamza from my year kept the notes", "person", "Hamza"),  # a dictionary word, rare, first in a sentence
        ("Ethan from my year kept the notes", "person", "Ethan"),
        ("Zebedee Quarrington chaired", "person", "Zebedee Quarrington"),
        ("then Jane O'Connor-Mbeki spoke", "person", "Jane O'Connor-Mbeki"),
        ("then Al-Rashid replied late", "person", "Al-Rashid"),
        ("Jean-Baptiste wrote it", "person", "Jean-Baptiste"),
        ("we told NOMVULA first", "person", "NOMVULA"),
        ("and 李明 came too", "person", "李明"),  # a script without capitals
        ("Dr Brown said so", "person", "Dr Brown"),
        ("Mohammed Rafiqul Islam told us", "person", "Mohammed Rafiqul Islam"),  # a public word inside a name
        ("Maria Fernanda Quispe wrote it", "person", "Maria Fernanda Quispe"),  # a dictionary word first
        ("then Reem Abu-Shakra said", "person", "Reem Abu-Shakra"),
        ("She was born on 14 March 1999 in a village", "date", "14 March 1999"),
        ("DOB: 03/07/98, second year", "date", "03/07/98"),
        ("she was born on the 3rd of August, a Monday", "date", "3rd of August"),
        ("and J. Okafor-Bello replied", "person", "J. Okafor-Bello"),
        ("then Dr A. Mensah agreed", "person", "Dr A. Mensah"),
        ("we asked McAllister and", "person", "McAllister"),
        ("I met Kim Min-jun there", "person", "Kim Min-jun"),
        ("my student number is 20417739 if", "id", "20417739"),
        ("the MRN KX4471920 was on it", "id", "KX4471920"),
    ],
)
def test_each_kind_of_identifier_is_found(deid, text, kind, found):
    spans = deid.find(text)
    assert [(s.kind, s.text) for s in spans] == [(kind, found)], spans


@pytest.mark.parametrize(
    "text",
    [
        "The hospital was busy and the dean said no.",
        "We met 12 times between January and March 2024 with 26.72 per cent attending.",
        "A petition with six hundred signatures reached the curriculum committee.",
        "Our group: [Person 3] and [Institution 1] met at [Email].",
        "The NHS trust's BAME network ran CPR training on Tuesdays.",
        "Grand Rounds at the Royal Infirmary covered sickle cell disease and COVID-19.",
        "We used Braun and Clarke's thematic analysis and a Likert scale, i.e. five points.",
        "Microaggressions, gaslighting and allyship came up in the Medical School Council.",
        "Black and Asian learners in Year 3 met the Dean in the Clinical Skills Centre.",
        "We met at ten.Then we left, e.g. at 5 p.m. on Saturdays; 2023/24 was busier.",
        "Has your role changed over time? Does the Foundation Programme help?",
        "The hospital saw 12000 patients and 45000 calls; 2023 was the busiest year.",
    ],
)
def test_ordinary_text_is_left_alone(deid, text):
    assert deid.find(text) == []


def test_pseudonyms_stay_consistent_across_sources():
    deid = Deidentifier()
    units = pd.DataFrame(
        {
            "source_id": ["A", "A", "B"],
            "unit": [1, 2, 1],
            "text": [
                "Dr Farah Siddiqui and Hillcrest General Hospital.",
                "Then Omar Lodhi spoke, from Tarnowskie Kąty.",
                "Ms Farah Siddiqui again, at Hillcrest General Hospital; Omar Lodhi too, in Tarnowskie Kąty.",
            ],
        }
    )
    out, log = deidentify_units(units, deid)
    assert out.loc[0, "text"] == "[Person 1] and [Institution 1]."
    assert out.loc[1, "text"] == "Then [Person 2] spoke, from [Place 1]."
    assert out.loc[2, "text"] == "[Person 1] again, at [Institution 1]; [Person 2] too, in [Place 1]."
    assert set(log["original"]) >= {"Dr Farah Siddiqui", "Ms Farah Siddiqui", "Omar Lodhi"}


def test_possessives_keep_their_s_outside_the_pseudonym():
    out, _ = Deidentifier().redact("It was Siosaia Taufa's idea, and Kwabena’s van.")
    assert out == "It was [Person 1]'s idea, and [Person 2]’s van."


# ---------------------------------------------------------------- held-out benchmark


def _name_tokens():
    for text, spans in d.heldout():
        for s, e, kind in spans:
            if kind in ("person", "place", "institution"):
                for w in d.WORD.findall(text[s:e]):
                    yield kind, w


def test_heldout_benchmark_is_big_and_varied():
    rows = d.heldout()
    kinds = {k for _, spans in rows for *_, k in spans}
    assert len(rows) >= 300
    assert kinds == {"person", "place", "institution", "email", "phone", "url", "handle", "date", "id"}
    assert sum(not spans for _, spans in rows) >= 150  # plenty of ordinary text, for precision


# names in the benchmark that are ordinary English words on no list of name-words (test only;
# the detector never reads this)
DICTIONARY_NAMES = frozenset({"bill"})
# batch 7 holds, on purpose, places named by ordinary English words ("Maple Hollow"), to
# measure whether a locative cue and a place word alone catch them
DICTIONARY_PLACES = frozenset(
    "maple hollow copper creek silver falls willow bend lantern cove harbor heights falcon meadow thistle ridge".split()
)


def test_no_heldout_name_or_place_is_in_any_word_list_the_detector_uses():
    """The benchmark measures what the detector has never seen. Every word of a marked
    person or place (particles, titles, street words and words of two letters aside), and at least one
    word of each marked institution, is in none of the detector's lists (checked with and
    without accents). The one exception is on purpose: a word of the detector's own list of
    ambiguous name-words (names that are also English words: Hope, Grace, Bishop), which the
    benchmark holds to measure how such a name is caught in context. Batch 5 adds, on purpose,
    a given name that is an ordinary dictionary word and on no list of name-words (Bill): it
    measures whether context alone catches it. A word written with letters outside ASCII is
    checked as written, and without its accents only against the public terms (the one list the
    detector reads without accents): batch 6 holds, on purpose, names such as "Sơn" and "Huế"
    whose letters, accents removed, spell English words."""
    lists = d.word_lists()
    skip = lists["connectors"] | lists["titles"] | lists["ambiguous"] | DICTIONARY_NAMES | DICTIONARY_PLACES

    def listed(word):
        low = word.lower()
        plain = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
        # only the public terms are matched without accents ("Sámi" is "Sami"); every other
        # list is read as the word is written ("Sơn" is no English "son")
        return [name for name, words in lists.items() if low in words or (name == "public_terms" and plain in words)]

    clashes = []
    for text, spans in d.heldout():
        for s, e, kind in spans:
            if kind not in ("person", "place", "institution"):
                continue
            parts = [
                p
                for w in d.WORD.findall(text[s:e])
                for p in re.split(r"['’\-]", w)
                if len(p) > 2 and p.lower() not in skip and not (kind == "place" and p.lower() in lists["place_words"])
            ]
            if kind == "institution":
                if all(listed(p) for p in parts):
                    clashes.append((text[s:e], "no unlisted word"))
            else:
                clashes.extend((p, listed(p)) for p in parts if listed(p))
    assert clashes == []


def test_recall_and_precision_on_the_heldout_benchmark():
    result = d.score_heldout()
    assert result["identifying_tokens"] >= 400
    assert result["recall"] >= 0.99, result
    assert result["precision"] >= 0.95, result


# each batch's token recall and precision today (after the rules added for batch 6): a change
# of the rules may not lower any of them
BATCH_FLOORS = {
    1: (1.0, 0.997),
    2: (1.0, 1.0),
    3: (0.990, 1.0),
    4: (1.0, 0.953),
    5: (0.991, 0.966),
    6: (1.0, 1.0),
    7: (1.0, 0.888),
}


def test_no_batch_of_the_benchmark_scores_lower_than_before():
    batches = d.heldout_batches()
    assert sorted(batches) == sorted(BATCH_FLOORS)
    assert sum(len(rows) for rows in batches.values()) == len(d.heldout())
    deid = Deidentifier()
    for batch, (recall, precision) in BATCH_FLOORS.items():
        result = d.score_rows(batches[batch], deid)
        assert result["recall"] >= recall and result["precision"] >= precision, (batch, result)


def test_the_benchmark_can_fail():
    """The same scorer on a detector that knows only e-mails and phones falls far short."""

    class Weak(Deidentifier):
        def find(self, text):
            return [s for s in super().find(text) if s.kind in ("email", "phone")]

    assert d.score_heldout(Weak())["recall"] < 0.2


def test_no_half_redactions_on_the_heldout_benchmark():
    deid = Deidentifier()
    assert half_redactions("[Person 3]-Jane and [Person 4] Okafor") == ["]-J", "[Person 4] Okafor"]
    for text, _ in d.heldout():
        out, _ = deid.redact(text)
        assert half_redactions(out) == [], out


# ---------------------------------------------------------------- synthetic data


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from compendium.data.contract import load_study
    from compendium.synthesize import synthesize

    base = tmp_path_factory.mktemp("deid")
    synthesize(base / "raw", seed=20251026, truth_dir=base / "truth")
    study = load_study(base / "raw", consensus_coder="coder_a")
    planted = pd.read_csv(base / "truth" / "planted_identifiers.csv")
    return study, planted


def test_recall_and_precision_on_the_synthetic_corpus(synthetic):
    study, planted = synthetic
    deid = Deidentifier(allowed=d.glossary(study))
    units, log = deidentify_units(study.units, deid)
    result = score(log, planted, units, study.units)
    assert result["planted"] > 100
    assert result["recall"] == 1.0 and result["missed"] == 0
    assert result["token_recall"] >= 0.99, result
    assert result["token_precision"] >= 0.95, result
    for text in planted["text"]:
        assert not units["text"].str.contains(text, regex=False).any(), text
    counts = summary(log)
    assert set(counts["kind"]) == set(d.KINDS)
    for text in units["text"]:
        assert half_redactions(text) == [], text


def test_precision_counts_ordinary_words_redacted_by_mistake():
    units = pd.DataFrame({"source_id": ["A"], "unit": [1], "text": ["We met Hope there; Dr Hina Baig said so."]})
    planted = pd.DataFrame({"source_id": ["A"], "unit": [1], "kind": ["person"], "text": ["Dr Hina Baig"]})
    out, log = deidentify_units(units, Deidentifier())
    result = score(log, planted, out, units)
    assert result["recall"] == 1.0
    assert result["false_positives"] == 1 and result["precision"] == 0.5  # "Hope": undecided, so redacted
    assert result["token_false_positives"] == 1


# ---------------------------------------------------------------- review of ambiguous words


def test_ambiguous_words_go_to_review_and_decisions_are_respected(tmp_path):
    text = "I asked Will about it, and Hope came too. Mark my words. Grace Okafor agreed."
    deid = Deidentifier()
    out, _ = deid.redact(text)
    assert "Will" not in out and "Hope" not in out  # undecided: redacted
    assert "Mark my words" in out  # a sentence's first word is not a candidate
    assert "[Person" in out and "Okafor" not in out and "Grace" not in out  # beside a name: part of it
    found = deid.review_frame()
    assert set(found["candidate"]) == {"will", "hope"}

    path = tmp_path / "deidentify_review.csv"
    review, counts = d.update_review(d.read_review(path), found)
    assert counts == {"candidates": 2, "new": 2, "undecided": 2, "kept": 0, "redacted": 0}
    review.loc[review["candidate"] == "will", "decision"] = "keep"
    review.to_csv(path, index=False)

    again = Deidentifier(decisions=d.decisions_of(d.read_review(path)))
    out2, _ = again.redact(text + " Then Rose left.")
    assert "I asked Will about it" in out2 and "Hope" not in out2 and "Rose" not in out2
    review2, counts2 = d.update_review(d.read_review(path), again.review_frame())
    assert counts2["new"] == 1 and counts2["kept"] == 1 and counts2["undecided"] == 2
    assert review2.set_index("candidate").loc["will", "decision"] == "keep"

    # the source that held "Will" and "Hope" is withdrawn: the decision stays, no text does
    later = Deidentifier(decisions=d.decisions_of(review2))
    later.redact("Then Rose left.")
    review3, counts3 = d.update_review(review2, later.review_frame())
    assert list(review3["candidate"]) == ["rose", "will"]
    assert review3.set_index("candidate").loc["will"].to_dict() == {
        "kind": "person",
        "decision": "keep",
        "occurrences": "0",
        "context": "",
    }
    assert counts3 == {"candidates": 2, "new": 0, "undecided": 1, "kept": 1, "redacted": 0}


def test_a_bad_decision_is_an_error_naming_file_and_row(tmp_path):
    path = tmp_path / "review.csv"
    pd.DataFrame(
        {"candidate": ["hope"], "kind": ["person"], "decision": ["maybe"], "occurrences": [1], "context": ["..."]}
    ).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"review.csv, row 2: decision must be"):
        d.read_review(path)


def test_study_names_and_places_are_always_redacted():
    deid = Deidentifier(names=["Hope Street Choir"], places=["Tesco"])
    out, _ = deid.redact("We sang with the Hope Street Choir outside Tesco.")
    assert "Hope" not in out and "Tesco" not in out


def test_linear_time_on_a_long_text():
    import time

    text = "Tevita Fifita met Ngozi at Rangiwahia Hospital on 3 May 2001; call +64 21 555 0199. " * 2000
    start = time.perf_counter()
    spans = Deidentifier().find(text)
    assert time.perf_counter() - start < 20
    assert len(spans) == 5 * 2000


# ---------------------------------------------------------------- the stage under DVC


def test_stage_06_keeps_the_review_file_as_a_persistent_uncached_output(root):
    import yaml

    stage = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]["06-deidentify-sources"]
    outs = dict(next(iter(o.items())) if isinstance(o, dict) else (o, {}) for o in stage["outs"])
    assert outs["data/private/deidentify_review.csv"] == {"cache": False, "persist": True}
    assert "data/private/deidentify_review.csv" not in stage["deps"]  # may be absent


@pytest.mark.pipeline
def test_an_edited_decision_reruns_stage_06_and_is_respected(root, tmp_path, capsys):
    """Under DVC: the review file may be absent; an ambiguous word is listed and redacted;
    writing `keep` makes `dvc status` report the stage changed, and the rerun keeps the
    word and the decision."""
    from test_pipeline import make_copy, run_dvc

    from compendium.synthesize import synthesize

    project = make_copy(root, tmp_path / "compendium")
    shutil.rmtree(project / "data" / "raw")
    synthesize(project / "data" / "raw", seed=20251026)
    source = sorted((project / "data" / "raw" / "sources").glob("INT-*.md"))[0]
    lines = source.read_text(encoding="utf-8").splitlines()
    turn = next(i for i, line in enumerate(lines) if re.match(r"^L\d+: ", line))
    lines[turn] += " I asked Hope about it."
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    review_file = project / "data" / "private" / "deidentify_review.csv"
    assert not review_file.exists()

    result = run_dvc(project, "repro", "06-deidentify-sources")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    from compendium.pipeline.reproduce import report_review

    report_review(project)  # what `compendium reproduce` prints at the end of a run
    assert "1 of 1 candidate word(s) await a decision" in capsys.readouterr().out
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    assert review.set_index("candidate").loc["hope", "decision"] == ""
    units = pd.read_parquet(project / "data" / "interim" / "units_deidentified.parquet")
    assert not units["text"].str.contains("asked Hope").any()

    review.loc[review["candidate"] == "hope", "decision"] = "keep"
    review.to_csv(review_file, index=False)
    status = run_dvc(project, "status", "06-deidentify-sources")
    assert "deidentify_review.csv" in status.stdout
    result = run_dvc(project, "repro", "06-deidentify-sources")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    units = pd.read_parquet(project / "data" / "interim" / "units_deidentified.parquet")
    assert units["text"].str.contains("I asked Hope about it.").any()
    assert pd.read_csv(review_file, dtype=str).set_index("candidate").loc["hope", "decision"] == "keep"


def test_the_study_glossary_keeps_its_own_proper_nouns():
    from types import SimpleNamespace

    study = SimpleNamespace(
        codebook=pd.DataFrame(
            {
                "theme": ["ubuntu"],
                "theme_label": ["Ubuntu Circles"],
                "code": ["harambee_groups"],
                "label": ["Harambee groups"],
                "definition": ["Talk of Nomvula is not a term."],
            }
        ),
        participants=pd.DataFrame({"participant_id": ["P1"], "site": ["Kisumu"], "group": ["Vuka"], "age": [30.0]}),
        sources=pd.DataFrame({"source_id": ["INT-1"]}),
        dataset={"deidentify": {"allowed": ["Mandela"], "names": ["Quellnoor"], "places": "Rosewood; Tarn Howe"}},
    )
    terms = d.glossary(study)
    assert {"Ubuntu Circles", "Harambee groups", "Kisumu", "Vuka", "Mandela"} <= set(terms)
    assert not any("Nomvula" in t for t in terms)  # definitions are prose, not terms
    settings = d.study_settings(study.dataset)
    assert settings == {"names": ["Quellnoor"], "places": ["Rosewood", "Tarn Howe"], "allowed": ["Mandela"]}
    text = "The Ubuntu Circles and Harambee groups met in Kisumu with the Vuka arm, as Mandela urged."
    assert Deidentifier().find(text) != []
    assert Deidentifier(allowed=terms).find(text) == []
    deid = Deidentifier(allowed=terms, names=settings["names"], places=settings["places"])
    out, _ = deid.redact("Quellnoor walked from Rosewood to Tarn Howe.")
    assert out == "[Person 1] walked from [Place 1] to [Place 2]."


def test_the_table_reports_both_benchmarks_and_the_review_counts():
    from compendium.reporting.tables import deidentification_markdown

    heldout = d.score_heldout()
    scores = {
        "planted": 10,
        "missed": 0,
        "recall": 1.0,
        "replacements": 11,
        "false_positives": 1,
        "precision": 10 / 11,
        "token_identifying_tokens": 20,
        "token_missed": 0,
        "token_recall": 1.0,
        "token_precision": 20 / 21,
        "token_false_positives": 1,
    }
    review = {"candidates": 3, "new": 1, "undecided": 2, "kept": 1, "redacted": 0}
    text = deidentification_markdown(
        summary(pd.DataFrame(columns=["kind", "original"])), scores, "", heldout=heldout, review=review
    )
    assert f"{heldout['sentences']} hand-annotated sentences" in text
    assert f"token recall {100 * heldout['recall']:.1f}%" in text
    assert "recall 100.0% (0 missed); precision 90.9%" in text and "precision 95.2%" in text
    assert "3 candidate(s) in data/private/deidentify_review.csv, 1 kept" in text and "2 undecided" in text


@pytest.mark.parametrize(
    "text,gone,kept",
    [
        ("The rotation at Mustashfa al-Nakheel al-Azraq was where it began.", ["Nakheel", "Azraq"], ["rotation"]),
        ("We were sent to Hospital al-Zahrawi for a week.", ["Zahrawi"], ["week"]),
        ("I spoke to Rania el-Tayeb after the session.", ["Rania", "Tayeb"], ["session"]),
        ("Dr ul-Mulk asked the group to stay.", ["Mulk"], ["group"]),
        ("Later we heard from Tunde d'Almeida.", ["Tunde", "Almeida"], ["heard"]),
        ("Our team met al-Ruwaili twice.", ["Ruwaili"], ["twice"]),
        ("We used e-Learning modules, x-Ray images, an iPad and eGFR values.", [], ["e-Learning", "x-Ray", "iPad"]),
    ],
)
def test_a_name_after_a_lower_case_particle_is_found_whole(text, gone, kept):
    """Arabic, Urdu and Romance names open with a lower-case particle and a hyphen or an
    apostrophe (al-, el-, ul-, d'); the name goes with it, the words beside it stay.
    None of these names is in a list the detector uses."""
    out, _ = Deidentifier().redact(text)
    assert [w for w in gone if w in out] == [], out
    assert [w for w in kept if w not in out] == [], out


# ---------------------------------------------------------------- rules added after batch 4


@pytest.mark.parametrize(
    "text,found",
    [
        ("Pieter said the audit was late.", "Pieter"),  # piet + -er
        ("I met Pieter at the vigil.", "Pieter"),
        ("We asked Ritter about the rota.", "Ritter"),  # rit + -er
        ("Then Roddy brought the banner.", "Roddy"),  # rodd + -y
    ],
)
def test_a_name_common_only_by_stripping_an_ending_is_found(text, found):
    """A capitalised word the dictionary knows only through morphology, rare in wordfreq and
    used at least as often as the entry it reduces to, is a name (:func:`derived_name`).
    Without the rule each of these is "common" and left in the text."""
    assert d.is_common(found.lower())  # the dictionary alone would keep it
    assert [(s.kind, s.text) for s in Deidentifier().find(text)] == [("person", found)]


@pytest.mark.parametrize(
    "text",
    [
        "We bought Stethoscopes and Mannequins for the Skills Lab.",
        "The Organisers, Volunteers and Coordinators met the Trustees.",
        "Tremors, Spasms and Earphones were on the Annotations list.",
        "The Commenters confided that the Wholesalers had Underdeveloped plans.",
    ],
)
def test_inflected_ordinary_words_are_not_taken_for_derived_names(text):
    assert Deidentifier().find(text) == []


def test_derived_name_rule_spares_the_commonest_english_words():
    """Independent reference: wordfreq's 30,000 most frequent English words. Of those the
    dictionary knows only by morphology, the rule may take very few for names (today two,
    both surnames: Ritter, Roddy); without its guards (plurals, past tenses, derived
    endings) it takes 35."""
    from wordfreq import top_n_list

    words = [w for w in top_n_list("en", 30000) if w.isalpha() and w.islower() and len(w) > 3]
    taken = [w for w in words if w not in d.common_words() and d.derived_name(w, True)]
    assert len(taken) <= 5, taken
    assert not d.derived_name("debriefs", False)  # a rare lower-case plural of a real word
    assert not d.derived_name("decolonising", True)  # a derived English ending


def test_a_plural_s_never_brings_back_a_lost_e():
    """*tobe* is a dictionary word, but its plural is *tobes*: *tobs* is unknown, and rare,
    so a lower-case nickname."""
    assert d.is_common("baked") and d.is_common("tobes")
    assert not d.is_common("tobs")
    assert [s.text for s in Deidentifier().find("after that tobs left early.")] == ["tobs"]


def test_an_unknown_lower_case_word_after_a_verb_of_contact_goes_to_review():
    deid = Deidentifier()
    assert [s.text for s in deid.find("I texted jojo yesterday.")] == ["jojo"]
    assert "jojo" in set(deid.review_frame()["candidate"])
    assert Deidentifier(decisions={"jojo": "keep"}).find("I texted jojo yesterday.") == []
    assert Deidentifier().find("I asked everyone and texted nobody; she told us.") == []


def test_medical_suffix_metry_and_inn_stems_grel_toin_are_not_names():
    """-metry (oximetry, spirometry), and the WHO INN stems -grel/-grelor (platelet
    aggregation inhibitors) and -toin (hydantoin antiepileptics)."""
    text = "Spirometry, pulse oximetry, Clopidogrel, ticagrelor and Phenytoin were on the list."
    assert Deidentifier().find(text) == []


@pytest.mark.parametrize(
    "text,gone",
    [
        ("Nkechi drafted most of the letters to the dean.", "Nkechi"),
        ("Arjun drafted most of the emails about the fair.", "Arjun"),  # a dictionary word (a tree)
        ("Grace organised the teach-in.", "Grace"),
    ],
)
def test_a_name_opening_a_sentence_before_a_past_tense_verb_is_not_left(text, gone):
    """A first word that is a rare dictionary word or a name-word, then a verb in the past
    tense: what a person's name does at the start of a sentence (redacted, or sent to
    review and redacted until decided)."""
    out, _ = Deidentifier().redact(text)
    assert gone not in out, out


# ---------------------------------------------------------------- rules added after batch 5


@pytest.mark.parametrize(
    "text,found",
    [
        ("B. Tsogtbayar wrote the leaflet.", [("person", "B. Tsogtbayar")]),  # an initial opens the sentence
        ("Then Owain ap Gruffydd spoke first.", [("person", "Owain ap Gruffydd")]),  # Welsh ap
        ("We worked at Ospital ng Maynila twice.", [("place", "Ospital ng Maynila")]),  # Tagalog ng
        ("Faith's idea was the vigil.", [("person", "Faith")]),  # a name-word in the possessive
        ("I texted Pat yesterday.", [("person", "Pat")]),  # a word that is also a proper noun
        ("Then Jack said no.", [("person", "Jack")]),
        ("zsolt said he would come.", [("person", "zsolt")]),  # lower case, opening a chat line
        ("R.T. and S.M. took the minutes.", [("person", "R.T"), ("person", "S.M")]),  # dotted initials
        ("The Okonkwo-led group met on Fridays.", [("person", "Okonkwo")]),  # "-led" is no part of it
        ("Her exam code was QW7R3T, I think.", [("id", "QW7R3T")]),  # a short code after a cue
        ("The reference was ABC/2022/01934.", [("id", "ABC/2022/01934")]),  # slashes
        ("DOB 2001.03.09, first year.", [("date", "2001.03.09")]),  # year first, dotted
        ("Christian and Ayesha said no.", [("person", "Ayesha")]),  # listed with a public word, before a verb
        ("Nomvula's patients came.", [("person", "Nomvula")]),  # a person takes the possessive
        ("Seo Yeon-hee and Kim Min-jun came.", [("person", "Seo Yeon-hee"), ("person", "Kim Min-jun")]),
    ],
)
def test_names_found_by_the_rules_added_after_batch_5(text, found):
    """Each of the first twelve is missed or cut short without its rule (checked on the
    detector before batch 5); the last three guard the rules' limits. None of these names is
    in the held-out benchmark."""
    assert [(s.kind, s.text) for s in Deidentifier().find(text)] == found


@pytest.mark.parametrize(
    "text",
    [
        "The Faculty said it was a Welfare issue, Welfare said it was not.",  # not proper nouns in the dictionary
        "In the end the Dean said no, and Estates agreed.",  # after an article: a title
        "We moved to the U.K. in 2019 and met an M.D. there.",  # dotted letters, not used as a person
        "Speakers of North Sámi came.",  # a public term written with its accent
        "Gentamicin, Alteplase and Prednisone were given.",  # INN stems -micin, -plase, -isone
        "Clopidogrel, Warfarin and Apixaban were on the list.",  # listed with drug names
        "The MRCGP and FRCPCH exams.",  # capitals without a vowel: an acronym
        "We printed it in Pashto and Dari.",  # listed with a public term
        "The Hmong elders and Burmese patients came.",  # a people before a noun for a group
        "The Deanery paid for it.",  # a rare dictionary word after an article
        "We handed out the zine.",  # an unknown lower-case word after an article
        "Pentecostal and Baptist churches came.",  # a public term opening a sentence
        "The Anti-racist group met.",
    ],
)
def test_ordinary_text_left_alone_by_the_rules_added_after_batch_5(text):
    assert Deidentifier().find(text) == []


def test_a_word_is_a_proper_noun_too_only_when_the_dictionary_also_capitalises_it():
    """Independent reference: Webster's Second itself (*Bill*, *Frank* are entries in both
    cases; *welfare*, *faculty* only in lower case)."""
    words = d.proper_common_words()
    assert {"bill", "frank", "jack"} <= words
    assert not {"welfare", "faculty", "senate"} & words


# ---------------------------------------------------------------- rules added after batch 6


@pytest.mark.parametrize(
    "text,found",
    [
        ("The rota finally changed on 4th of November.", "4th of November"),
        ("We handed it in on 9 April, late.", "9 April"),
        ("It was posted on December 1st and taken down.", "December 1st"),
        ("By the 27th of January most of us had signed.", "27th of January"),
        ("The meeting moved to Nov. 12th at short notice.", "Nov. 12th"),
        ("She was discharged on 3 Aug and readmitted.", "3 Aug"),
        ("It was the second of July when we heard.", "second of July"),
        ("The teach-in ran 12-14 March in the old library.", "12-14 March"),
    ],
)
def test_a_day_and_a_month_without_a_year_is_a_date(text, found):
    """HIPAA Safe Harbor removes every element of a date but the year (45 CFR
    164.514(b)(2)(i)(C)): a day with its month identifies as much as a full date. Before batch
    6 only full dates and dates near a birth cue were found."""
    assert [(s.kind, s.text) for s in Deidentifier().find(text)] == [("date", found)]


@pytest.mark.parametrize(
    "text",
    [
        "In November the whole year moved to the wards.",
        "We started in 2021 and finished in 2023.",
        "It was the first of many late nights.",
        "I scored 7/10 on the feedback and came 2nd in the quiz.",
        "The 3rd years and the 5th years met in March.",
        "Students in Year 4 May need an interpreter more often.",  # a count, not a day
        "They may 3 times a week, if asked.",  # "may" in lower case is no month
        "We met every Oct and Feb, when the terms began.",  # an abbreviated month alone
    ],
)
def test_months_years_and_ordinals_alone_are_no_date(text):
    assert Deidentifier().find(text) == []


@pytest.mark.parametrize(
    "text,found",
    [
        ("Then Thủy said it again in the debrief.", [("person", "Thủy")]),  # thuy: no word
        ("We stayed in Hà Giang for the outreach day.", [("place", "Hà Giang")]),
        # ben, son: a name of English-looking letters before "Central Polyclinic"
        ("She worked at Bến Sơn Central Polyclinic for a year.", [("institution", "Bến Sơn Central Polyclinic")]),
        ("I asked Ángel to interpret.", [("person", "Ángel")]),  # angel
        ("Then Bảo Hòa said so.", [("person", "Bảo Hòa")]),  # bao, hoa
        ("Later Huế came up again.", [("person", "Huế")]),  # hue
        ("We stayed in Lý Sơn a week.", [("place", "Lý Sơn")]),  # ly, son
    ],
)
def test_an_accented_word_is_not_an_english_word_without_its_accents(text, found):
    """A word written with letters outside ASCII is judged as written: without its accents
    "Ángel", "Huế" and "Sơn" spell English words (angel, hue, son), and before batch 6 that
    made them common words, left in the text (the others guard the rule's reach). Only the
    public terms match without accents."""
    assert [(s.kind, s.text) for s in Deidentifier().find(text)] == found


@pytest.mark.parametrize(
    "text",
    [
        "Naïve is how the registrar put it.",
        "Résumés and clichés came up in the careers session at the café.",
        "Speakers of North Sámi and the Māori students met.",  # public terms, accents or not
        "The façade of the old building was a protégé's design.",
    ],
)
def test_english_words_written_with_accents_stay(text):
    assert Deidentifier().find(text) == []


@pytest.mark.parametrize(
    "text,found",
    [
        ("My student number ZQ-2022-71530 was on the form.", "ZQ-2022-71530"),
        ("It was logged as OBS-2019-4471203, then lost.", "OBS-2019-4471203"),
        ("Reference KLM/2021/558812 came back.", "KLM/2021/558812"),
    ],
)
def test_letters_joined_to_digits_are_an_id_not_a_phone(text, found):
    """A letter prefix with digits joined by hyphens or slashes is an ID number; with nine
    digits or more it was redacted as a phone number before batch 6."""
    assert [(s.kind, s.text) for s in Deidentifier().find(text)] == [("id", found)]
    assert [(s.kind, s.text) for s in Deidentifier().find("call 0312-555-0143 now")] == [("phone", "0312-555-0143")]


def test_a_lone_rare_lower_case_word_is_a_noun_after_an_article_and_else_goes_to_review():
    """A lower-case word no dictionary knows and wordfreq finds rare is a name in chat or a
    word of another language. After an article it is a noun ("the kete", "a chullo"); alone
    elsewhere it is sent to review, redacted until the team keeps it; beside another name it
    is part of that name. Before batch 6 every one was a person, with no review."""
    deid = Deidentifier()
    assert deid.find("We filled the kete, and a chullo was knitted.") == []
    assert [s.text for s in deid.find("she took off her chumpi before the exam")] == ["chumpi"]
    assert "chumpi" in set(deid.review_frame()["candidate"])
    assert Deidentifier(decisions={"chumpi": "keep"}).find("she took off her chumpi before the exam") == []
    assert [s.text for s in Deidentifier().find("omg aigerim tursynbek replied")] == ["aigerim tursynbek"]


@pytest.mark.parametrize(
    "text, found",
    [
        # a hard-wrapped transcript joins its lines with a space: the address is cut after a hyphen
        ("He sent it from tavita.maile@ulumotu- mail.to on the bus.", "tavita.maile@ulumotu-"),
        ("Write to kezia@localhost if the form fails.", "kezia@localhost"),
    ],
)
def test_an_address_cut_short_is_still_an_email(text, found):
    """An e-mail address whose domain was cut (a line wrapped after a hyphen) or has no
    top-level domain still carries its owner's name before the @: it is redacted whole."""
    kinds = {text[s.start : s.end]: s.kind for s in Deidentifier().find(text)}
    assert kinds.get(found) == "email", kinds


@pytest.mark.parametrize(
    "text, found",
    [
        ("My file number there was MRN 00-4471-92, which the clerk read out.", "00-4471-92"),
        ("Her registration number is 318/0042/7 at the council.", "318/0042/7"),
    ],
)
def test_digit_groups_after_an_id_cue_are_an_id(text, found):
    """Digits in groups joined by hyphens or slashes, after a cue such as MRN or
    'number', are a record number even when too short for a phone number."""
    spans = {text[s.start : s.end]: s.kind for s in Deidentifier().find(text)}
    assert spans.get(found) == "id", spans


def test_digit_groups_without_a_cue_are_left_alone():
    text = "The score went from 12-14 to 3/5 over the term."
    assert not [s for s in Deidentifier().find(text) if s.kind == "id"]


def test_a_capitalised_word_known_only_by_morphology_and_unseen_in_english_is_a_name():
    """'Semey' reduces to the Webster's entry 'seme' + -y, but wordfreq has never seen it
    (Zipf 0): capitalised, it is a name or place, not an English derivative."""
    assert d.derived_name("semey", True)
    text = "Zhanar Mukhtarova moved from Semey to the coast."
    assert "Semey" not in Deidentifier().redact(text)[0]
    assert not d.derived_name("semey", False)  # lower case: judged as before


@pytest.mark.parametrize(
    "text, found",
    [
        ("We met her in the clinic on 28/11, before the vote.", "28/11"),
        ("The letter had to be in before 3/4, the deadline.", "3/4"),
        ("Nothing happened until 12/06 when the dean replied.", "12/06"),
    ],
)
def test_a_numeric_day_and_month_after_a_date_cue_is_a_date(text, found):
    """'on 28/11' is a day and a month (HIPAA Safe Harbor removes every date element but
    the year); a bare '3/10' without such a cue stays a number."""
    spans = {text[s.start : s.end]: s.kind for s in Deidentifier().find(text)}
    assert spans.get(found) == "date", spans


@pytest.mark.parametrize(
    "text",
    [
        "She rated the session 3/10 and left.",
        "It went up by 2.5 points on 4/5 of the items.",
        "on 45/12 wards",
        "It fell by 1/3 after the change.",
        "It fell by 3/4 in a year.",
    ],
)
def test_a_fraction_or_score_is_no_date(text):
    assert not [s for s in Deidentifier().find(text) if s.kind == "date"]


def test_a_capitalised_word_with_an_apostrophe_that_is_no_contraction_is_a_name():
    """'Be'er Sheva' splits into the English 'Be' and 'er'; an apostrophe before letters
    that make no English contraction marks a transliterated name (Hebrew, Tongan,
    Hawaiian ...). Contractions and English elisions stay."""
    text = "I did my elective in Be'er Sheva with them. Yes, Ma'am, we're sure They'll come."
    out = Deidentifier().redact(text)[0]
    assert "Be'er" not in out and "Sheva" not in out
    assert "Ma'am" in out and "They'll" in out and "we're" in out


# ---------------------------------------------------------------- rules added after batch 7


@pytest.mark.parametrize(
    "text, place",
    [
        ("I grew up out on Pine Ridge before medical school", "Pine Ridge"),
        ("my cousin drove down from Pine Ridge", "Pine Ridge"),
        ("we drove down from Old Mill Road on Friday", "Old Mill Road"),
        ("she lives out near Oak Barn now", "Oak Barn"),
    ],
)
def test_a_place_named_by_ordinary_words_after_a_locative_cue_is_a_place(text, place):
    """Two or more capitalised dictionary words after a locative cue: with a place word last
    (Ridge, Road) they are a place; without one, after a cue of movement or nearness ("out
    near"), a place sent to review and redacted until the team keeps it. Before batch 7
    "Pine Ridge" was published as written (the leak audit, which looks for words no
    dictionary knows, could not see it either)."""
    deid = Deidentifier()
    found = [(s.text, s.kind) for s in deid.find(text)]
    assert (place, "place") in found, found
    if place == "Oak Barn":
        assert deid.review["oak barn"][0] == "place"
        kept = Deidentifier(decisions={"oak barn": "keep"})
        assert kept.find(text) == []
    else:
        assert place.lower() not in deid.review


@pytest.mark.parametrize(
    "text",
    [
        "We presented the audit at Grand Rounds and went back to Journal Club after.",
        "The talk on Patient Safety at the Medical School was better than expected.",
        "In Year Two the Problem Based Learning groups were mixed.",
        "I joined the Black Lives Matter march and went back to revise.",
        "We went back to Year Two teaching in March.",
        "She moved out on Clinical Skills to the Student Union.",
    ],
)
def test_capitalised_ordinary_phrases_that_name_no_place_are_left_alone(text):
    """The limits of the rule: public terms, generic, institution, counting and calendar
    words, derived words and a cue that is no place preposition keep it from firing."""
    assert [s for s in Deidentifier().find(text) if s.kind == "place"] == []
