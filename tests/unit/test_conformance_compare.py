"""make conformance's verdict: each test passing with dynaconf passes with ours or is listed, never stale."""

from __future__ import annotations

from tests.conformance.run import compare

THEIRS = {"a": "passed", "b": "passed", "c": "passed", "d": "failed"}


def test_a_test_passing_with_dynaconf_and_failing_with_ours_unlisted_is_reported() -> None:
    verdict = compare(THEIRS, {"a": "passed", "b": "failed", "c": "passed"}, listed={})
    assert verdict.unlisted == ["b"]


def test_a_test_missing_from_our_run_counts_as_not_passing() -> None:
    verdict = compare(THEIRS, {"a": "passed", "b": "passed"}, listed={})
    assert verdict.unlisted == ["c"]


def test_a_listed_difference_that_still_differs_is_expected() -> None:
    verdict = compare(THEIRS, {"a": "passed", "b": "failed", "c": "passed"}, listed={"b": "why"})
    assert verdict.expected == ["b"]


def test_a_listed_test_that_passes_with_ours_is_stale() -> None:
    verdict = compare(THEIRS, {"a": "passed", "b": "passed", "c": "passed"}, listed={"b": "why"})
    assert verdict.stale == ["b"]


def test_a_listed_test_that_fails_with_dynaconf_too_is_stale() -> None:
    verdict = compare(THEIRS, {"a": "passed", "b": "passed", "c": "passed"}, listed={"d": "why"})
    assert verdict.stale == ["d"]
