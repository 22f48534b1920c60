"""Pure: the township ranking of the county report (季通报 红黑榜).

score = 0.4 × coverage_rate + 0.3 × on_time_rate + 0.3 × satisfaction_rate, the weights of the rates a
township has (satisfaction may be unknown) scaled back to 1. A township is ranked only with a minimum
sample — at least MIN_ENTERPRISES on its list and MIN_CLOSED issues closed in the period — so one closed
issue cannot top the list. Ties share a rank.
"""
from __future__ import annotations

from typing import Any

WEIGHTS = {"coverage_rate": 0.4, "on_time_rate": 0.3, "satisfaction_rate": 0.3}
MIN_ENTERPRISES = 5
MIN_CLOSED = 3


def score(report: dict[str, Any]) -> float:
    known = {k: w for k, w in WEIGHTS.items() if report[k] is not None}
    return sum(report[k] * w for k, w in known.items()) / sum(known.values())


def rank(reports: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    ranked, not_ranked = [], []
    for r in reports:
        if r["enterprises_registered"] < MIN_ENTERPRISES or r["issues_closed"] < MIN_CLOSED:
            not_ranked.append({
                "township": r["township"],
                "reason": f"needs at least {MIN_ENTERPRISES} enterprises and {MIN_CLOSED} issues closed in the period "
                          f"(has {r['enterprises_registered']} and {r['issues_closed']})",
            })
        else:
            ranked.append({"township": r["township"], "score": round(score(r), 6), **{k: r[k] for k in WEIGHTS}})
    ranked.sort(key=lambda x: (-x["score"], x["township"]))
    for i, row in enumerate(ranked):
        row["rank"] = ranked[i - 1]["rank"] if i and row["score"] == ranked[i - 1]["score"] else i + 1
    return {"ranking": ranked, "not_ranked": not_ranked}
