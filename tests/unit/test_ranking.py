"""The county ranking: documented score, minimum sample, shared ranks."""
from __future__ import annotations

import pytest

from reporting.ranking import rank, score


def report(township, registered=10, closed=5, coverage=0.5, on_time=0.5, satisfaction=0.5):
    return {"township": township, "enterprises_registered": registered, "issues_closed": closed,
            "coverage_rate": coverage, "on_time_rate": on_time, "satisfaction_rate": satisfaction}


def test_the_score_weighs_coverage_on_time_and_satisfaction():
    assert score(report("a", coverage=1.0, on_time=0.5, satisfaction=0.0)) == pytest.approx(0.4 + 0.15)


def test_an_unknown_satisfaction_leaves_the_other_weights_scaled_to_one():
    assert score(report("a", coverage=1.0, on_time=0.0, satisfaction=None)) == pytest.approx(0.4 / 0.7)


def test_townships_below_the_minimum_sample_are_listed_apart_with_the_reason():
    result = rank([report("small", closed=1, coverage=1.0, on_time=1.0, satisfaction=1.0), report("big")])
    assert [r["township"] for r in result["ranking"]] == ["big"]
    assert result["not_ranked"][0]["township"] == "small" and "has 10 and 1" in result["not_ranked"][0]["reason"]


def test_higher_scores_rank_first_and_ties_share_a_rank():
    result = rank([report("c", coverage=0.2), report("a", coverage=0.9), report("b", coverage=0.9)])
    assert [(r["rank"], r["township"]) for r in result["ranking"]] == [(1, "a"), (1, "b"), (3, "c")]
