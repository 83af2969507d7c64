"""Hostile and oversized input (issue 17): every shape is refused or read with bounded
memory, with a clean error that names the file, the element or row and the rule.

Each hostile shape is built in ``tmp_path`` (streamed to disk, or sparse, never held in
memory by the test) and read in a fresh Python process whose peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, kilobytes on Linux) must stay under
1 GiB. The child prints one JSON line: the peak, the error class and message, and
whether a traceback would have reached the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from compendium.synthesize import synthesize

GIB_KB = 1024 * 1024  # ru_maxrss is in kilobytes
MB = 1024 * 1024

PROBE = r"""
import json, resource, sys, traceback
kind, args = sys.argv[1], sys.argv[2:]
result = {"error": None, "message": "", "traceback": False, "status": None}
try:
    if kind == "validate":
        from compendium.contract import load_study
        load_study(args[0])
    elif kind == "params":
        from compendium.config import load_params
        load_params(args[0])
    elif kind == "cli":
        from compendium.cli import main
        result["status"] = main(args)
except Exception as exc:  # the *type* says whether it is a clean, named refusal
    result["error"] = type(exc).__name__
    result["message"] = str(exc)[:4000]
    result["message_length"] = len(str(exc))
    result["traceback"] = not isinstance(exc, ValueError)
    if result["traceback"]:
        result["message"] += traceback.format_exc()
result["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("PROBE " + json.dumps(result))
"""


def probe(kind: str, *args: str, env: dict | None = None, capture_stderr: bool = False) -> dict:
    """Run one reading in a fresh process; its result and its peak memory."""
    done = subprocess.run([sys.executable, "-c", PROBE, kind, *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(line[len("PROBE "):])
    result["stderr"] = done.stderr
    print(f"{kind} {args[:1]}: peak {result['peak_kb'] / 1024:.0f} MB, {result['error']}: {result['message'][:300]}")
    assert result["peak_kb"] < GIB_KB, f"peak memory {result['peak_kb'] / 1024:.0f} MB"
    assert not result["traceback"], result["message"]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("hostile") / "raw"
    synthesize(raw, seed=7, scale=1, design="independent")
    return raw


@pytest.fixture()
def raw(small_raw, tmp_path) -> Path:
    import shutil

    target = tmp_path / "raw"
    shutil.copytree(small_raw, target, symlinks=True)
    return target


def _stream(path: Path, head: str, line: str, size: int) -> None:
    """Write ``head`` then ``line`` repeated until the file holds ``size`` bytes."""
    block = line.encode() * max(1, (1 * MB) // len(line.encode()))
    with path.open("wb") as fh:
        fh.write(head.encode())
        written = len(head)
        while written < size:
            fh.write(block)
            written += len(block)


# --------------------------------------------------------------------------- raw data


def test_a_50_mb_survey_of_invalid_rows_gives_a_short_message_in_bounded_memory(raw):
    header = (raw / "survey.csv").read_text().splitlines()[0]
    n = header.count(",") + 1
    _stream(raw / "survey.csv", header + "\n", ",".join(["not-an-id!"] + ["bad"] * (n - 1)) + "\n", 50 * MB)
    result = probe("validate", raw)
    assert result["error"] == "DataContractError"
    assert result["message_length"] < 200_000  # not 20.9 million lines
    assert "more row(s)" in result["message"] and "survey.csv" in result["message"]


def test_a_csv_over_the_size_limit_is_refused_before_reading(raw):
    with (raw / "survey.csv").open("r+b") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.truncate(1024 * MB)
    result = probe("validate", raw)
    assert "survey.csv, file: is 1024.0 MB, more than the limit of 64.0 MB" in result["message"]
    assert "COMPENDIUM_MAX_CSV_BYTES" in result["message"]


def test_error_lists_are_capped_per_rule_with_a_count(raw, monkeypatch):
    from compendium.contract import DataContractError, load_study

    lines = (raw / "participants.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("age")
    rows = [r.split(",") for r in lines[1:]]
    for r in rows:
        r[col] = "old"
    (raw / "participants.csv").write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    monkeypatch.setenv("COMPENDIUM_MAX_ERRORS_PER_RULE", "3")
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    ages = [str(v) for v in info.value.violations if v.column == "age"]
    assert len(ages) == 4, ages
    assert f"{len(rows) - 3} more row(s), column 'age': break the same rule" in ages[-1]


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_in_params_is_refused(tmp_path):
    (tmp_path / "params.yaml").write_text(_bomb())
    result = probe("params", tmp_path / "params.yaml")
    assert result["error"] == "YamlLimitError"
    assert "alias" in result["message"] and "COMPENDIUM_MAX_YAML_NODES" in result["message"]


@pytest.mark.parametrize("where", ["dataset.yaml", "codebook.yaml", "front matter"])
def test_a_yaml_alias_bomb_in_the_raw_data_is_a_named_violation(raw, where):
    if where == "front matter":
        path = sorted((raw / "sources").glob("*.md"))[0]
        text = path.read_text()
        path.write_text(text.replace("---\n", "---\n" + _bomb(), 1))
        expect = f"sources/{path.name}, line 2"
    else:
        (raw / where).write_text(_bomb())
        expect = f"{where}, file"
    result = probe("validate", raw)
    assert result["error"] == "DataContractError"
    assert expect in result["message"] and "alias" in result["message"], result["message"]


def test_many_aliases_are_refused(tmp_path):
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n"
    (tmp_path / "params.yaml").write_text(text)
    result = probe("params", tmp_path / "params.yaml")
    assert "more than 100 YAML aliases" in result["message"]


def test_ordinary_aliases_still_work(tmp_path):
    from compendium.config import load_yaml

    assert load_yaml("a: &a [1, 2]\nb: *a\n", "x") == {"a": [1, 2], "b": [1, 2]}


def test_nul_bytes_are_refused(raw):
    from compendium.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    src.write_bytes(src.read_bytes() + b"more\x00text\n")
    p = raw / "participants.csv"
    lines = p.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b"\x00,", 1)
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    text = str(info.value)
    assert f"sources/{src.name}, line" in text and "participants.csv, line 3: holds a NUL byte" in text


def test_a_source_linked_outside_the_raw_folder_is_refused(raw, tmp_path):
    from compendium.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    outside = tmp_path / "secret.md"
    outside.write_text(src.read_text())
    src.unlink()
    src.symlink_to(outside)
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    assert f"sources/{src.name}, file: is a link to a file outside data/raw/" in str(info.value)


def test_a_link_inside_the_raw_folder_is_read(raw):
    from compendium.contract import load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    kept = raw / "kept.txt"
    src.rename(kept)
    src.symlink_to(Path("..") / "kept.txt")
    load_study(raw)


@pytest.mark.parametrize("name", ["a..b.md", "two words.md", "caf\u00e9.md"])
def test_source_file_names_must_follow_the_id_rule(raw, name):
    from compendium.contract import DataContractError, load_study

    src = sorted((raw / "sources").glob("*.md"))[0]
    (raw / "sources" / name).write_text(src.read_text())
    with pytest.raises(DataContractError) as info:
        load_study(raw)
    assert f"sources/{name}, file: a source's file name must be its id" in str(info.value)


def test_a_directory_named_like_a_source_is_refused(raw):
    from compendium.contract import DataContractError, load_study

    (raw / "sources" / "folder.md").mkdir()
    with pytest.raises(DataContractError, match=r"sources/folder.md, file: is not a regular file"):
        load_study(raw)


# --------------------------------------------------------------------------- safe to open


def test_formula_cells_are_neutralised_in_result_csvs(tmp_path):
    import pandas as pd

    from compendium.io import write_table

    frame = pd.DataFrame({"label": ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
                                    "\tx", "plain", "-0.5"],
                          "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    csv_path, _ = write_table(frame, "t", "# t\n", folder=tmp_path)
    back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert back["label"].tolist() == ['\'=HYPERLINK("http://x","y")', "'+cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3",
                                      "'\tx", "plain", "-0.5"]
    assert back["value"].tolist() == ["1", "-2", "3", "4", "5", "6", "7"]  # numbers untouched
