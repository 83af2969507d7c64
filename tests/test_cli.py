"""The console command: clear messages and exit codes, never a bare traceback."""

from __future__ import annotations

import subprocess
import sys

from compendium.cli import main


def test_validate_reports_every_problem_and_exits_2(raw_copy, capsys):
    p = raw_copy / "participants.csv"
    lines = p.read_text().split("\n")
    lines[1] = lines[1].replace(",given", ",unsure")
    p.write_text("\n".join(lines))
    assert main(["validate", str(raw_copy)]) == 2
    err = capsys.readouterr().err
    assert "participants.csv, row 1 (line 2), column 'consent': 'unsure' must be 'given' or 'withdrawn'" in err
    assert "Traceback" not in err


def test_validate_the_shipped_data(shipped_project, capsys, monkeypatch):
    monkeypatch.chdir(shipped_project)  # params.yaml names data/raw
    assert main(["validate"]) == 0
    assert "100 consented of 102" in capsys.readouterr().out


def test_synthesize_writes_a_valid_folder(shipped_project, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(shipped_project)  # validated with params.yaml as shipped, not a team's
    assert main(["synthesize", "--seed", "3", "--out", str(tmp_path / "raw")]) == 0
    assert main(["validate", str(tmp_path / "raw")]) == 0


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "compendium.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("compendium ")
