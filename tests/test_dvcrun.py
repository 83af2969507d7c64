"""`compendium.pipeline.dvcrun`: DVC with dvc.lock read by the safe parser writes the
same lock file, byte for byte, as DVC unchanged (the reference)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

from compendium.pipeline import dvcrun
from compendium.pipeline.reproduce import dvc_env

# values whose YAML spelling is easy to get wrong: floats, a string that YAML 1.1 reads
# as a boolean, one that looks like a date, a time, a list, nested parameters
PARAMS = """\
ci_level: 0.95
tiny: 1.0e-06
answer: 'yes'
when: '2024-01-01'
clock: '12:30'
codes: [a_b, c-d, '0777']
nested: {inner: 3, label: on the list}
"""

DVC_YAML = """\
stages:
  first:
    cmd: python -c "open('a.txt','w').write('a')"
    deps: [in.txt]
    params: [ci_level, tiny, answer]
    outs: [a.txt]
  second:
    cmd: python -c "open('b.txt','w').write(open('a.txt').read()+'b')"
    deps: [a.txt]
    params: [when, clock, codes, nested]
    outs: [b.txt]
  third:
    cmd: python -c "open('c.txt','w').write('c')"
    deps: [b.txt]
    outs:
      - c.txt:
          cache: false
"""


def _project(path):
    path.mkdir()
    (path / "dvc.yaml").write_text(DVC_YAML)
    (path / "params.yaml").write_text(PARAMS)
    (path / "in.txt").write_text("x")
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=path, env=dvc_env(), check=True)
    return path


def _repro(path, module, *args):
    done = subprocess.run(
        [sys.executable, "-m", module, "repro", *args], cwd=path, env=dvc_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return (path / "dvc.lock").read_bytes()


def test_the_lock_file_is_the_one_dvc_writes(tmp_path):
    plain, ours = _project(tmp_path / "plain"), tmp_path / "ours"
    shutil.copytree(plain, ours)
    assert _repro(plain, "dvc") == _repro(ours, dvcrun.__name__)
    # an existing lock is read, one stage's entry changed, and the file written back
    for project in (plain, ours):
        text = (project / "params.yaml").read_text().replace("clock: '12:30'", "clock: '13:45'")
        (project / "params.yaml").write_text(text)
    first = _repro(plain, "dvc", "second")
    assert first == _repro(ours, dvcrun.__name__, "second")
    assert b"13:45" in first
    assert _repro(plain, "dvc", "--force") == _repro(ours, dvcrun.__name__, "--force")


def test_only_the_lock_file_skips_the_round_trip_parser():
    from dvc.utils.serialize import _yaml

    original = _yaml.parse_yaml_for_update
    try:
        dvcrun.install()
        dvcrun.install()  # twice is once
        text = textwrap.dedent(
            """\
            # a comment
            stages:
              a: {cmd: echo}
            """
        )
        lock = _yaml.parse_yaml_for_update(text, "some/dir/dvc.lock")
        other = _yaml.parse_yaml_for_update(text, "dvc.yaml")
        assert type(lock) is dict and lock == {"stages": {"a": {"cmd": "echo"}}}
        assert type(other) is not dict and other.ca.comment  # round trip: the comment is kept
    finally:
        _yaml.parse_yaml_for_update = original
