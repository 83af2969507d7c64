"""`make bench`: what it measures and how it judges, on tiny fakes. The wall-clock
targets themselves are held by `make bench` on the real pipeline, never here."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from compendium.pipeline import bench


def test_one_word_of_rendered_prose_changes_and_nothing_else(tmp_path):
    template = tmp_path / "manuscript.md.j2"
    original = textwrap.dedent(
        """\
        {#- a comment about wording
            that spans lines -#}
        {{ front_matter }}
        {% if twin %}> **About.** seed {{ int("dataset.seed") }}{% endif %}

        # Abstract

        **Background.** Racism shapes who receives care.
        Second line of prose.
        """
    )
    template.write_text(original)
    bench.edit_one_word(template)
    before, after = original.split("\n"), template.read_text().split("\n")
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [
        ("**Background.** Racism shapes who receives care.", "**Background.** Racism shapes shapes who receives care.")
    ]
    code_only = tmp_path / "code.md.j2"
    code_only.write_text("{# only a comment #}\n{{ x }}\n")
    with pytest.raises(RuntimeError, match="no line of plain prose"):
        bench.edit_one_word(code_only)


def test_the_memory_of_the_whole_process_tree_is_measured(tmp_path):
    """The reference is what the grandchild holds: 300 MiB of bytes it wrote."""
    grandchild = "import time; block = b'x' * (300 * 2**20); time.sleep(1.5); print('held', len(block) >> 20)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    seconds, status, peak, output = bench.run_tree([sys.executable, "-c", child], tmp_path, {}, interval=0.05)
    assert status == 0 and "held 300" in output
    assert 300 <= peak < 600, peak
    assert seconds >= 1.5
    seconds, status, peak, output = bench.run_tree([sys.executable, "-c", "import time; time.sleep(1)"], tmp_path, {})
    assert status == 0 and peak < 100, peak


def test_the_stages_dvc_reran_are_read_from_its_output():
    output = "Running stage '13-render-manuscript':\n> compendium render-manuscript\nRunning stage '10-audit-leaks':\n"
    output += "Stage '14-build-site' didn't change, skipping\n"
    assert bench._rerun_stages(output) == ["13-render-manuscript", "10-audit-leaks"]


def test_an_edited_file_may_rerun_the_stages_that_list_it_and_what_reads_their_outputs(tmp_path):
    (tmp_path / "src").mkdir()
    for name in ("site.py", "stats.py"):
        (tmp_path / "src" / name).write_text("# code\n")
    (tmp_path / "dvc.yaml").write_text(
        textwrap.dedent(
            """\
            stages:
              analyse:
                cmd: echo a > a.txt
                deps: [src/stats.py]
                outs: [a.txt]
              site:
                cmd: echo s > s.txt
                deps: [src/site.py, a.txt]
                outs: [s.txt]
              audit:
                cmd: echo d > d.txt
                deps: [s.txt]
                outs: [d.txt]
            """
        )
    )
    env = bench.dvc_env()
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=tmp_path, env=env, check=True)
    assert bench._file_dependents(tmp_path, env, bench.Path("src/site.py")) == {"site", "audit"}
    assert bench._file_dependents(tmp_path, env, bench.Path("src/stats.py")) == {"analyse", "site", "audit"}


def _report(**changes: object) -> dict:
    report = {
        "cold_s": 20.0,
        "floor_s": 11.0,
        "cold_over_floor": 20.0 / 11.0,
        "noop_s": 0.4,
        "incremental_only_dependents": True,
        "incremental_stages": ["07-measure-agreement"],
        "manuscript_edit_s": 3.0,
        "manuscript_edit_stages": ["13-render-manuscript"],
        "manuscript_edit_over_cold": 0.15,
        "site_edit_s": 2.0,
        "site_edit_stages": ["14-build-site"],
        "site_edit_only_dependents": True,
        "scale_100x_s": 100.0,
        "scale_100x_over_1x": 9.0,
        "scale_100x_peak_mib": 700.0,
        "full_100x_s": 200.0,
        "full_100x_peak_mib": 1500.0,
        "targets": bench.targets(100),
    }
    report.update(changes)
    report["targets_met"] = bench.judge(report)
    return report


def test_every_target_met_is_said_in_one_line():
    report = _report()
    assert all(report["targets_met"].values()) and len(report["targets_met"]) == 8
    assert bench.missed_lines(report) == []
    assert bench.table(report).endswith("every target met")


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"cold_over_floor": 2.5}, "MISSED cold_over_floor: 2.5 > 2"),
        ({"manuscript_edit_over_cold": 0.25}, "MISSED manuscript_edit_over_cold: 0.25 > 0.2"),
        ({"full_100x_peak_mib": 2100.0}, "MISSED full_100x_peak_mib: 2.1e+03 > 2048"),
        (
            {"site_edit_only_dependents": False, "site_edit_stages": ["01-validate-data", "14-build-site"]},
            "MISSED site_edit_only_dependents: stages outside the expected set reran (01-validate-data, 14-build-site)",
        ),
    ],
)
def test_a_missed_target_gets_a_line_of_its_own_and_the_command_fails(change, line, monkeypatch, capsys):
    report = _report(**change)
    assert bench.missed_lines(report) == [line]
    assert line in bench.table(report).split("\n")

    from compendium.cli import main

    monkeypatch.setattr(bench, "run", lambda **_: report)
    assert main(["bench"]) == 1
    assert line in capsys.readouterr().out
    monkeypatch.setattr(bench, "run", lambda **_: _report())
    assert main(["bench"]) == 0


def test_the_scratch_copy_holds_every_dependency_the_pipeline_declares(root, tmp_path):
    """make bench runs the pipeline in a copy of the project: each dependency that dvc.yaml
    names and git tracks must be in it (a skipped folder failed the forced run once)."""
    from compendium.pipeline.reproduce import declared

    tracked = set(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split())
    _, deps = declared(root)
    wanted = sorted(d for d in deps if d in tracked or any(t.startswith(d.rstrip("/") + "/") for t in tracked))
    assert wanted, "dvc.yaml declares no tracked dependency"
    copy = bench._copy(root, tmp_path / "copy")
    assert [d for d in wanted if not (copy / d).exists()] == []
