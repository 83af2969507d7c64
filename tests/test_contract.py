"""One test per rule of the data contract: each feeds the broken input and checks
that the error names the file, the row or unit, the column or key, and the rule."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from compendium.core.config import Arms
from compendium.data.contract import DataContractError, load_study, parse_yes_no


def load(raw: Path, **kw):
    return load_study(raw, consensus_coder=kw.pop("consensus_coder", "coder_a"), **kw)


def rows_of(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[dict], fields: list[str] | None = None) -> None:
    fields = fields or list(rows[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def edit(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row counted from 1, header excluded)."""
    rows = rows_of(path)
    rows[row - 1][column] = value
    write_rows(path, rows, list(rows[0]))


def drop_column(path: Path, column: str) -> None:
    rows = rows_of(path)
    fields = [f for f in rows[0] if f != column]
    write_rows(path, [{k: r[k] for k in fields} for r in rows], fields)


def expect(raw: Path, pattern: str, **kw) -> DataContractError:
    with pytest.raises(DataContractError) as info:
        load(raw, **kw)
    assert re.search(pattern, str(info.value)), str(info.value)[:2000]
    return info.value


# ------------------------------------------------------------------ general rules


def test_shipped_data_is_valid(shipped_study):
    assert len(shipped_study.participants) == 200
    assert shipped_study.flow["arms"]["control"]["withdrew"] == 2


def test_bom_and_crlf_are_accepted(raw_copy):
    p = raw_copy / "participants.csv"
    text = p.read_text(encoding="utf-8")
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert len(load(raw_copy).participants) == 200


def test_column_order_is_free_and_extra_columns_are_carried(raw_copy):
    p = raw_copy / "participants.csv"
    rows = rows_of(p)
    fields = list(reversed(list(rows[0]))) + ["favourite_colour"]
    write_rows(p, [{**r, "favourite_colour": "blue"} for r in rows], fields)
    assert len(load(raw_copy).participants) == 200


def test_invalid_utf8_names_file_and_line(raw_copy):
    p = raw_copy / "participants.csv"
    lines = p.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"Female", b"F\xe9male").replace(b"Male", b"M\xe9le")
    p.write_bytes(b"\n".join(lines))
    expect(raw_copy, r"participants\.csv, line 4: not valid UTF-8")


def test_ragged_row_is_reported(raw_copy):
    p = raw_copy / "survey.csv"
    lines = p.read_text().split("\n")
    lines[2] += ",extra"
    p.write_text("\n".join(lines))
    expect(raw_copy, r"survey\.csv, row 2 \(line 3\).*has 15 fields where the header has 14")


def test_missing_file_is_reported(raw_copy):
    (raw_copy / "survey.csv").unlink()
    expect(raw_copy, r"survey\.csv, file: required file is missing")


def test_every_violation_in_a_file_is_listed(raw_copy):
    p = raw_copy / "participants.csv"
    edit(p, 2, "group", "placebo")
    edit(p, 7, "age", "twelve")
    edit(p, 9, "consent", "maybe")
    err = expect(raw_copy, r"row 2 \(line 3\), column 'group'")
    text = str(err)
    assert "row 7 (line 8), column 'age'" in text
    assert "row 9 (line 10), column 'consent'" in text
    assert len(err.violations) == 3


def test_errors_in_several_files_are_all_listed(raw_copy):
    edit(raw_copy / "participants.csv", 1, "age", "")
    edit(raw_copy / "participants.csv", 1, "gender", "")  # blanks are missing values: fine
    edit(raw_copy / "survey.csv", 3, "cc_2", "7")
    edit(raw_copy / "coding" / "coder_b.csv", 2, "code", "not_a_code")
    err = expect(raw_copy, r"survey\.csv")
    assert {v.file for v in err.violations} == {"survey.csv", "coding/coder_b.csv"}


# ------------------------------------------------------------------ participants.csv


@pytest.mark.parametrize(
    "column", ["participant_id", "group", "gender", "ethnicity", "age", "previous_activism", "consent"]
)
def test_participants_required_columns(raw_copy, column):
    drop_column(raw_copy / "participants.csv", column)
    expect(raw_copy, rf"participants\.csv, header, column '{column}': required column is missing")


def test_participant_id_unique(raw_copy):
    p = raw_copy / "participants.csv"
    first = rows_of(p)[0]["participant_id"]
    edit(p, 5, "participant_id", first)
    expect(
        raw_copy,
        rf"participants\.csv, row 5 \(line 6\), column 'participant_id': '{first}' is not unique "
        r"\(first used in row 1 \(line 2\)\)",
    )


@pytest.mark.parametrize("bad", ["L 001", "L/001", "Lé01", ""])
def test_participant_id_characters(raw_copy, bad):
    edit(raw_copy / "participants.csv", 3, "participant_id", bad)
    expect(raw_copy, r"participants\.csv, row 3 \(line 4\), column 'participant_id'")


def test_group_must_be_an_arm_label(raw_copy):
    edit(raw_copy / "participants.csv", 4, "group", "Control")
    expect(raw_copy, r"participants\.csv, row 4 \(line 5\), column 'group': 'Control' is not one of the arm labels")


def test_arm_labels_come_from_params(raw_copy):
    p = raw_copy / "participants.csv"
    rows = rows_of(p)
    for r in rows:
        r["group"] = {"control": "usual_care", "intervention": "programme"}[r["group"]]
    write_rows(p, rows)
    study = load(raw_copy, arms=Arms("usual_care", "programme"))
    assert set(study.participants["group"]) == {"usual_care", "programme"}
    error = expect(
        raw_copy,
        r"participants\.csv, every row, column 'group': holds 'programme', 'usual_care', "
        r"none of them an arm label",
    )
    assert "dataset.yaml" in str(error) and len(error.violations) == 1


def test_arm_labels_come_with_the_data(raw_copy):
    p = raw_copy / "participants.csv"
    rows = rows_of(p)
    for r in rows:
        r["group"] = {"control": "usual_care", "intervention": "programme"}[r["group"]]
    write_rows(p, rows)
    (raw_copy / "dataset.yaml").write_text("arms: {control: usual_care, intervention: programme}\n")
    study = load_study(raw_copy, consensus_coder="coder_a")
    assert (study.arms.control, study.arms.intervention) == ("usual_care", "programme")
    (raw_copy / "dataset.yaml").write_text("arms: {control: usual_care}\n")
    expect(raw_copy, r"dataset\.yaml, key, column 'arms'|dataset\.yaml.*arms")


def test_dataset_links_are_checked_against_the_codebook(raw_copy):
    (raw_copy / "dataset.yaml").write_text(
        "integration:\n  links:\n    - {code: no_such_code, outcome: leadership_role}\n"
        "    - {code: hierarchy, outcome: happiness, direction: sideways}\n"
    )
    error = str(expect(raw_copy, r"integration\.links\[1\]\.code.*'no_such_code' is not a code id"))
    assert "integration.links[2].outcome" in error and "integration.links[2].direction" in error


def test_without_consensus_the_coders_majority_stands_in(raw_copy):
    (raw_copy / "coding" / "consensus.csv").unlink()
    (raw_copy / "dataset.yaml").write_text("synthetic: true\n")  # names no stand-in coder
    study = load_study(raw_copy)
    assert study.consensus == "majority"
    c = study.codings
    a = set(map(tuple, c[c["coder"] == "coder_a"][["source_id", "unit", "code"]].to_numpy()))
    b = set(map(tuple, c[c["coder"] == "coder_b"][["source_id", "unit", "code"]].to_numpy()))
    both_coded = set(c[c["coder"] == "coder_a"]["source_id"]) & set(c[c["coder"] == "coder_b"]["source_id"])
    only_a = {t for t in a if t[0] not in both_coded}
    consensus = set(map(tuple, c[c["coder"] == "consensus"][["source_id", "unit", "code"]].to_numpy()))
    assert consensus == (a & b) | only_a | {t for t in b if t[0] not in both_coded}
    named = load_study(raw_copy, consensus_coder="coder_b")
    assert named.consensus == "coder:coder_b"


@pytest.mark.parametrize(
    "bad,rule",
    [("15", "outside the accepted range 16 to 99"), ("100", "outside the accepted range"), ("abc", "is not a number")],
)
def test_age_is_a_number_from_16_to_99(raw_copy, bad, rule):
    edit(raw_copy / "participants.csv", 6, "age", bad)
    expect(raw_copy, rf"participants\.csv, row 6 \(line 7\), column 'age': .*{rule}")


def test_blank_age_is_missing_not_an_error(raw_copy):
    edit(raw_copy / "participants.csv", 6, "age", "")
    assert load(raw_copy).participants["age"].isna().sum() <= 1


@pytest.mark.parametrize(
    "value,expected",
    [
        ("YES", True),
        ("True", True),
        ("1", True),
        ("y", True),
        ("No", False),
        ("FALSE", False),
        ("0", False),
        ("N", False),
    ],
)
def test_yes_no_values_in_any_case(value, expected):
    import pandas as pd

    parsed, bad = parse_yes_no(pd.Series([value, ""]))
    assert parsed.iloc[0] is expected or parsed.iloc[0] == expected
    assert parsed.isna().iloc[1] and not bad.any()


def test_previous_activism_is_yes_no(raw_copy):
    edit(raw_copy / "participants.csv", 8, "previous_activism", "sometimes")
    expect(raw_copy, r"row 8 \(line 9\), column 'previous_activism': 'sometimes' is not a yes/no value")


def test_consent_is_given_or_withdrawn(raw_copy):
    edit(raw_copy / "participants.csv", 10, "consent", "")
    expect(raw_copy, r"row 10 \(line 11\), column 'consent': '' must be 'given' or 'withdrawn'")


def test_optional_site_column(raw_copy):
    p = raw_copy / "participants.csv"
    rows = rows_of(p)
    write_rows(p, [{**r, "site": f"s{i % 2}"} for i, r in enumerate(rows)])
    assert set(load(raw_copy).participants["site"]) == {"s0", "s1"}
    edit(p, 2, "site", "")
    expect(raw_copy, r"row 2 \(line 3\), column 'site': a site is required when the column is present")


# ------------------------------------------------------------------ survey.csv


@pytest.mark.parametrize("column", ["participant_id", "wave", "participation", "leadership"])
def test_survey_required_columns(raw_copy, column):
    drop_column(raw_copy / "survey.csv", column)
    expect(raw_copy, rf"survey\.csv, header, column '{column}': required column is missing")


def test_at_least_two_cc_items(raw_copy):
    for c in ["cc_2", "cc_3", "cc_4", "cc_5", "cc_6"]:
        drop_column(raw_copy / "survey.csv", c)
    expect(raw_copy, r"survey\.csv, header.*at least 2 cc item column\(s\) are required, found 1")


def test_at_least_one_support_item(raw_copy):
    for c in ["support_1", "support_2", "support_3", "support_4"]:
        drop_column(raw_copy / "survey.csv", c)
    expect(raw_copy, r"at least 1 support item column\(s\) are required, found 0")


def test_item_columns_without_gaps(raw_copy):
    drop_column(raw_copy / "survey.csv", "cc_3")
    expect(raw_copy, r"item columns must be numbered 1 to 5 without gaps, found \[1, 2, 4, 5, 6\]")


def test_survey_learner_must_be_enrolled(raw_copy):
    edit(raw_copy / "survey.csv", 12, "participant_id", "L9999")
    expect(raw_copy, r"survey\.csv, row 12 \(line 13\), column 'participant_id': 'L9999' is not in participants\.csv")


def test_wave_is_pre_or_post(raw_copy):
    edit(raw_copy / "survey.csv", 3, "wave", "follow-up")
    expect(raw_copy, r"survey\.csv, row 3 \(line 4\), column 'wave': 'follow-up' must be 'pre' or 'post'")


def test_one_row_per_learner_and_wave(raw_copy):
    p = raw_copy / "survey.csv"
    rows = rows_of(p)
    write_rows(p, rows + [rows[0]])
    expect(raw_copy, rf"row {len(rows) + 1} \(line {len(rows) + 2}\), column 'wave': a second 'pre' row for")


@pytest.mark.parametrize("bad", ["0", "6", "2.5", "four"])
def test_items_are_whole_numbers_from_1_to_5(raw_copy, bad):
    edit(raw_copy / "survey.csv", 4, "support_2", bad)
    expect(
        raw_copy,
        rf"survey\.csv, row 4 \(line 5\), column 'support_2': '{re.escape(bad)}' is not a whole number from 1 to 5",
    )


def test_participation_is_yes_no(raw_copy):
    edit(raw_copy / "survey.csv", 4, "participation", "often")
    expect(raw_copy, r"row 4 \(line 5\), column 'participation': 'often' is not a yes/no value")


# ------------------------------------------------------------------ sources/


def source(raw: Path, name: str) -> Path:
    return raw / "sources" / f"{name}.md"


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_front_matter_required(raw_copy):
    p = source(raw_copy, "INT-002")
    p.write_text(p.read_text().replace("---\n", "", 1))
    expect(raw_copy, r"sources/INT-002\.md, line 1: the file must start with a '---' line")


def test_id_equals_file_name(raw_copy):
    replace_in(source(raw_copy, "INT-002"), "id: INT-002", "id: INT-200")
    expect(raw_copy, r"sources/INT-002\.md, front matter, column 'id': 'INT-200' must equal the file name")


def test_type_is_known(raw_copy):
    replace_in(source(raw_copy, "INT-002"), "type: interview", "type: survey")
    expect(raw_copy, r"sources/INT-002\.md, front matter, column 'type': 'survey' must be one of interview")


@pytest.mark.parametrize("bad", ["2024-13-01", "12/03/2024", "2024-02-30"])
def test_date_format(raw_copy, bad):
    p = source(raw_copy, "FG-01")
    text = re.sub(r"date: .*", f"date: {bad}", p.read_text(), count=1)
    p.write_text(text)
    expect(raw_copy, r"sources/FG-01\.md, front matter, column 'date'")


def test_source_participants_must_be_enrolled(raw_copy):
    p = source(raw_copy, "INT-003")
    text = re.sub(r"participants: \[(\w+)\]", "participants: [L9999]", p.read_text(), count=1)
    p.write_text(text)
    err = expect(raw_copy, r"sources/INT-003\.md, front matter, column 'participants': 'L9999' is not in participants")
    # the interviewee's turns now have no listed speaker: reported too
    assert re.search(r"INT-003\.md, line \d+, column 'body': speaker '\w+' is not listed", str(err))


def test_facilitators_required_for_interviews(raw_copy):
    p = source(raw_copy, "INT-003")
    p.write_text(re.sub(r"facilitators: .*\n", "", p.read_text(), count=1))
    expect(raw_copy, r"sources/INT-003\.md, front matter, column 'facilitators': a list of facilitator ids is required")


def test_genre_required_for_documents(raw_copy):
    p = source(raw_copy, "DOC-003")
    p.write_text(re.sub(r"genre: .*\n", "", p.read_text(), count=1))
    expect(raw_copy, r"sources/DOC-003\.md, front matter, column 'genre': a genre is required for a document")


def test_turn_by_unknown_speaker_before_first_turn(raw_copy):
    p = source(raw_copy, "INT-004")
    text = p.read_text().split("---\n", 2)
    p.write_text("---\n" + text[1] + "---\n\nRecorded in the seminar room.\nX99: hello there\n" + text[2])
    err = expect(raw_copy, r"sources/INT-004\.md, line 9, column 'body': text before the first speaker turn")
    assert "INT-004.md, line 10, column 'body': speaker 'X99' is not listed" in str(err)
    assert len(err.violations) == 2


def test_front_matter_yaml_error_names_line(raw_copy):
    replace_in(source(raw_copy, "INT-005"), "participants: [", "participants: [[")
    expect(raw_copy, r"sources/INT-005\.md, line \d+: front matter is not valid YAML")


# ------------------------------------------------------------------ codebook.yaml


def test_codebook_ids_unique(raw_copy):
    replace_in(raw_copy / "codebook.yaml", "id: hierarchy", "id: health_fairs")
    expect(raw_copy, r"codebook\.yaml, theme 3 \(challenges\), code 2, column 'id': 'health_fairs' is used twice")


def test_codebook_code_needs_definition(raw_copy):
    p = raw_copy / "codebook.yaml"
    text = p.read_text()
    text = re.sub(r"(- id: hierarchy\n\s+label: Hierarchy\n)\s+definition:.*?\n(?=\s+exclude)", r"\1", text, flags=re.S)
    p.write_text(text)
    expect(raw_copy, r"codebook\.yaml, theme 3 \(challenges\), code 2, column 'definition': required text is missing")


def test_codebook_needs_themes(raw_copy):
    (raw_copy / "codebook.yaml").write_text("codes: []\n")
    err = expect(raw_copy, r"codebook\.yaml, file, column 'themes'")
    # coding files are still checked against sources although codes cannot be
    assert all(v.file == "codebook.yaml" for v in err.violations)


# ------------------------------------------------------------------ coding/


def test_coding_source_must_exist(raw_copy):
    edit(raw_copy / "coding" / "coder_a.csv", 3, "source_id", "INT-999")
    expect(raw_copy, r"coding/coder_a\.csv, row 3 \(line 4\), column 'source_id': 'INT-999' is not a source")


def test_coding_unit_must_exist_in_source(raw_copy):
    edit(raw_copy / "coding" / "coder_a.csv", 3, "unit", "500")
    expect(raw_copy, r"coding/coder_a\.csv, row 3 \(line 4\), column 'unit': '500' does not exist in source")


@pytest.mark.parametrize("bad", ["0", "2.5", "x"])
def test_coding_unit_is_a_unit_number(raw_copy, bad):
    edit(raw_copy / "coding" / "consensus.csv", 1, "unit", bad)
    expect(raw_copy, r"coding/consensus\.csv, row 1 \(line 2\), column 'unit'")


def test_coding_code_must_be_in_codebook(raw_copy):
    edit(raw_copy / "coding" / "coder_b.csv", 2, "code", "motivations")
    expect(raw_copy, r"coding/coder_b\.csv, row 2 \(line 3\), column 'code': 'motivations' is not a code id")


def test_repeated_coding_rows_count_once(raw_copy):
    p = raw_copy / "coding" / "coder_a.csv"
    rows = rows_of(p)
    write_rows(p, rows + rows[:5])
    study = load(raw_copy)
    a = study.codings[study.codings["coder"] == "coder_a"]
    assert not a.duplicated().any()


def test_missing_consensus_uses_the_coder_named_in_params(raw_copy):
    (raw_copy / "coding" / "consensus.csv").unlink()
    study = load(raw_copy, consensus_coder="coder_b")
    cons = study.codings[study.codings["coder"] == "consensus"].drop(columns="coder").reset_index(drop=True)
    b = study.codings[study.codings["coder"] == "coder_b"].drop(columns="coder").reset_index(drop=True)
    assert cons.equals(b)
    expect(
        raw_copy,
        r"coding/consensus\.csv, file: the file is absent and the coder named to stand in for it, "
        r"'coder_z', has no file",
        consensus_coder="coder_z",
    )


# ------------------------------------------------------------------ consent


def test_withdrawn_learners_are_removed_everywhere(pristine, shipped_study):
    import pandas as pd

    raw = pd.read_csv(pristine.raw / "participants.csv", dtype=str)
    gone = set(raw.loc[raw["consent"] == "withdrawn", "participant_id"])
    assert gone
    s = shipped_study
    assert not gone & set(s.participants["participant_id"])
    assert not gone & set(s.survey["participant_id"])
    assert not gone & set(s.units["speaker"].dropna())
    assert not any(gone & set(ps) for ps in s.sources["participants"])
    kept_units = set(zip(s.units["source_id"], s.units["unit"]))
    assert all((a, b) in kept_units for a, b in zip(s.codings["source_id"], s.codings["unit"]))
    assert s.flow["sources"]["dropped_withdrawn"] >= 1


# ------------------------------------------------------------------ structure of files and folders


def test_empty_csv_needs_a_header(raw_copy):
    (raw_copy / "survey.csv").write_text("")
    expect(raw_copy, r"survey\.csv, file: the file is empty; a header row is required")


def test_duplicate_column_names(raw_copy):
    p = raw_copy / "participants.csv"
    lines = p.read_text().split("\n")
    lines[0] = lines[0].replace("gender", "age")
    p.write_text("\n".join(lines))
    expect(raw_copy, r"participants\.csv, header, column 'age': the column appears twice \(positions \d+ and \d+\)")


def test_blank_survey_id(raw_copy):
    edit(raw_copy / "survey.csv", 5, "participant_id", "")
    expect(raw_copy, r"survey\.csv, row 5 \(line 6\), column 'participant_id': a participant id is required")


def test_nobody_is_both_participant_and_facilitator(raw_copy):
    p = source(raw_copy, "INT-006")
    text = p.read_text()
    pid = re.search(r"participants: \[(\w+)\]", text).group(1)
    p.write_text(re.sub(r"facilitators: \[(\w+)\]", rf"facilitators: [\1, {pid}]", text, count=1))
    expect(raw_copy, rf"sources/INT-006\.md, front matter, column 'facilitators': '{pid}' is listed both")


def test_sources_folder_needs_sources(raw_copy):
    for p in (raw_copy / "sources").glob("*.md"):
        p.unlink()
    expect(raw_copy, r"sources/, folder: no source files")


def test_coding_folder_needs_a_coder(raw_copy):
    for p in (raw_copy / "coding").glob("coder_*.csv"):
        p.unlink()
    expect(raw_copy, r"coding/, folder: no coder files")


def test_coder_file_name(raw_copy):
    (raw_copy / "coding" / "coder_a.csv").rename(raw_copy / "coding" / "coder a.csv")
    expect(raw_copy, r"coding/coder a\.csv, file: a coder's name may hold only")


def test_coding_cells_required(raw_copy):
    edit(raw_copy / "coding" / "coder_a.csv", 4, "code", "")
    expect(raw_copy, r"coding/coder_a\.csv, row 4 \(line 5\), column 'code': a value is required")


def test_codebook_theme_label_required(raw_copy):
    replace_in(raw_copy / "codebook.yaml", "label: Motivations for engagement", "label: ''")
    expect(raw_copy, r"codebook\.yaml, theme 1, column 'label': required text is missing")


@pytest.mark.parametrize(
    "text,rule",
    [
        ("synthetic: maybe\n", "must be true or false"),
        ("- a\n- b\n", "must be a mapping"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_dataset_yaml(raw_copy, text, rule):
    (raw_copy / "dataset.yaml").write_text(text)
    expect(raw_copy, rf"dataset\.yaml, file.*{rule}")


def test_documents_need_text(raw_copy):
    p = source(raw_copy, "DOC-004")
    p.write_text(p.read_text().split("---\n", 2)[1].join(["---\n", "---\n\n"]))
    err = expect(raw_copy, r"sources/DOC-004\.md, body, column 'body': the document has no text")
    assert "coding/" in str(err)  # its codings now point at units that do not exist


def test_raw_folder_must_exist(tmp_path):
    expect(tmp_path / "nowhere", r"the raw-data folder does not exist")


def test_parameters_that_name_columns_are_checked_against_the_data(shipped_study):
    """A parameter that refers to the data and does not fit it stops the first stage with
    the params.yaml key, the value and what the data hold."""
    from compendium.data.contract import ParameterError, check_parameters

    check_parameters(shipped_study, covariates=["previous_activism", "gender", "age"], stratum="previous_activism")
    with pytest.raises(ParameterError) as info:
        check_parameters(shipped_study, covariates=["gender", "income"], stratum="faculty")
    message = str(info.value)
    assert "params.yaml effects.covariates: 'income' is not a column of participants.csv" in message
    assert "params.yaml effects.stratum: 'faculty'" in message and "ethnicity" in message
    one_level = shipped_study.participants.assign(site="only")
    single = type(shipped_study)(**{**shipped_study.__dict__, "participants": one_level})
    with pytest.raises(ParameterError, match="needs at least two values to stratify by; the data hold only"):
        check_parameters(single, covariates=[], stratum="site")
