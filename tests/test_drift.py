"""Grading of differences between committed and rerun artifacts (make verify)."""

from __future__ import annotations

from compendium.checks import drift


def test_identical_bytes():
    assert drift.grade(b"a,1\n", b"a,1\n", ".csv", 8) == drift.IDENTICAL


def test_a_last_digit_flip_is_the_same_at_the_stated_precision():
    old = b"outcome,odds_ratio\nx,9.6342871\n"
    new = b"outcome,odds_ratio\nx,9.6342872\n"
    assert drift.grade(old, new, ".csv", 8) == drift.SAME_AT_PRECISION
    assert drift.grade(b'{"a": 1.2345678e-05}', b'{"a": 1.2345679e-05}', ".json", 8) == drift.SAME_AT_PRECISION


def test_a_change_at_the_published_rounding_differs():
    assert drift.grade(b"| OR | 9.63 |\n", b"| OR | 9.64 |\n", ".md", 8) == drift.DIFFERS
    assert drift.grade(b"x,9.6342871\n", b"x,9.6342891\n", ".csv", 8) == drift.DIFFERS


def test_changed_words_or_binary_files_differ():
    assert drift.grade(b"convergent 1.0", b"dissonant 1.0", ".md", 8) == drift.DIFFERS
    assert drift.grade(b"\x89PNG1", b"\x89PNG2", ".png", 8) == drift.DIFFERS
    assert drift.grade(b"a 1 2", b"a 1", ".txt", 8) == drift.DIFFERS


def test_unit_of_the_last_digit_follows_the_magnitude():
    assert drift.close_at_precision("123456780", "123456790", 8)
    assert not drift.close_at_precision("123456780", "123456800", 8)
    assert drift.close_at_precision("0.0012345678", "0.0012345679", 8)
