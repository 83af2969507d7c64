"""De-identification: each pattern, consistent pseudonyms, and full recall on the
shipped corpus (the generator knows every identifier it planted)."""

from __future__ import annotations

import pandas as pd
import pytest

from compendium.deidentify import Deidentifier, deidentify_units, score, summary


@pytest.fixture(scope="module")
def deid():
    return Deidentifier(institutions=["Saint Elsewhere Teaching Trust"], names=["Zebedee Quarrington"])


@pytest.mark.parametrize("text,kind,found", [
    ("write to amina.rauf@northfield-hospital.org today", "email", "amina.rauf@northfield-hospital.org"),
    ("or j_smith+meds@mail.example.co.uk.", "email", "j_smith+meds@mail.example.co.uk"),
    ("call +92 312 555 0143 now", "phone", "+92 312 555 0143"),
    ("call 0312-5550143 now", "phone", "0312-5550143"),
    ("call (051) 555-0199.", "phone", "(051) 555-0199"),
    ("call +44 20 5550 0143", "phone", "+44 20 5550 0143"),
    ("see https://www.fairmeded.org/petition.", "url", "https://www.fairmeded.org/petition"),
    ("see www.studentsforequity.net/join, then", "url", "www.studentsforequity.net/join"),
    ("we post as @antiracist_meds daily", "handle", "@antiracist_meds"),
    ("placement at Hillcrest General Hospital last year", "institution", "Hillcrest General Hospital"),
    ("The Eastbrook School of Medicine agreed", "institution", "Eastbrook School of Medicine"),
    ("at Saint Elsewhere Teaching Trust, things", "institution", "Saint Elsewhere Teaching Trust"),
    ("then Dr Farah Siddiqui said", "person", "Dr Farah Siddiqui"),
    ("and Prof. Okonkwo agreed", "person", "Prof. Okonkwo"),
    ("Nurse Rubina was kind", "person", "Nurse Rubina"),
    ("my friend Hamza Malik came", "person", "Hamza Malik"),
    ("Ayesha kept the notes", "person", "Ayesha"),
    ("Zebedee Quarrington chaired", "person", "Zebedee Quarrington"),
])
def test_each_kind_of_identifier_is_found(deid, text, kind, found):
    spans = deid.find(text)
    assert [(s.kind, s.text) for s in spans] == [(kind, found)], spans


@pytest.mark.parametrize("text", [
    "The hospital was busy and the dean said no.",
    "We met 12 times between 2023-01-04 and 2024-02-13 with 26.72 per cent attending.",
    "A petition with six hundred signatures reached the curriculum committee.",
    "Our group: [Person 3] and [Institution 1] met at [Email].",
])
def test_ordinary_text_is_left_alone(deid, text):
    assert deid.find(text) == []


def test_same_person_gets_the_same_pseudonym_everywhere():
    deid = Deidentifier()
    units = pd.DataFrame({"source_id": ["A", "A", "B"], "unit": [1, 2, 1], "text": [
        "Dr Farah Siddiqui and Hillcrest General Hospital.",
        "Then Omar Lodhi spoke.",
        "Ms Farah Siddiqui again, at Hillcrest General Hospital; Omar Lodhi too.",
    ]})
    out, log = deidentify_units(units, deid)
    assert out.loc[0, "text"] == "[Person 1] and [Institution 1]."
    assert out.loc[1, "text"] == "Then [Person 2] spoke."
    assert out.loc[2, "text"] == "[Person 1] again, at [Institution 1]; [Person 2] too."
    assert set(log["original"]) >= {"Dr Farah Siddiqui", "Ms Farah Siddiqui", "Omar Lodhi"}


def test_full_recall_and_reported_precision_on_the_shipped_corpus(root, shipped_study):
    planted = pd.read_csv(root / "data" / "synthetic" / "planted_identifiers.csv")
    units, log = deidentify_units(shipped_study.units, Deidentifier())
    result = score(log, planted, units)
    assert result["planted"] > 100
    assert result["recall"] == 1.0 and result["missed"] == 0
    assert 0.9 <= result["precision"] <= 1.0
    for text in planted["text"]:
        assert not units["text"].str.contains(text, regex=False).any(), text
    counts = summary(log)
    assert set(counts["kind"]) == {"email", "url", "handle", "phone", "institution", "person"}
    assert (counts["replacements"] > 0).all()


def test_precision_counts_ordinary_words_redacted_by_mistake():
    units = pd.DataFrame({"source_id": ["A"], "unit": [1], "text": ["Mark my words, Dr Hina Baig said so."]})
    planted = pd.DataFrame({"source_id": ["A"], "unit": [1], "kind": ["person"], "text": ["Dr Hina Baig"]})
    out, log = deidentify_units(units, Deidentifier())
    result = score(log, planted, out)
    assert result["recall"] == 1.0
    assert result["false_positives"] == 1 and result["precision"] == 0.5  # "Mark" is in the lexicon
