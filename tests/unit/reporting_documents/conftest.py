"""Frozen bulletins as reporting/bulletins.py stores them, their reports made by the service's own renderer
(reporting.report.render / county_report) from tallies, so their shape is the real one."""
from __future__ import annotations

import copy

import pytest

from reporting.bulletins import content_hash
from reporting.report import Period, Tally, county_report, render

Q1 = Period.parse("2026-Q1")
Q4 = Period.parse("2025-Q4")
LAST_Q1 = Period.parse("2025-Q1")
NAMES = {"county": "示范县",
         "townships": {"dacheng": "大程镇", "xinzhai": "新寨镇", "liulin": "柳林乡", "hekou": "河口镇", "shanyang": "山阳乡",
                       "baima": "白马镇", "qingshui": "清水乡", "tiny": "小营乡"},
         "units": {"u-hrss": "县人社局", "u-fin": "县金融办", "u-nr": "县自然资源局", "u-dev": "县发改局"}}
POSITION = [{"topic": "visits.v1", "partition": 0, "offset": 1834}, {"topic": "issues.v1", "partition": 0, "offset": 977}]


def tally(township: str, period: Period, i: int, listed: int = 40) -> Tally:
    """A township's counts, varied by i so that every township's figures differ."""
    visited = min(listed, 20 + 3 * i)
    closed = 9 + i
    return Tally(
        township, period, listed=listed, visited=visited, visits=31 + 5 * i, in_person=24 + 4 * i, county_leader=2 + i,
        raised=12 + 2 * i, closed=closed, on_time=closed - 1 - i % 3, open_at_end=4 + i % 3, overdue=1 + i % 2,
        rated=closed - 1, satisfied=closed - 2 - i % 3,
        by_category={"financing": {"raised": 5 + i, "closed": 4, "open_at_end": 1 + i % 2},
                     "labour": {"raised": 3 + i % 4, "closed": 2 + i % 3, "open_at_end": 1},
                     "land": {"raised": 2, "closed": 1, "open_at_end": 1}, "policy": {"raised": 1 + i % 2, "closed": 1, "open_at_end": 0}},
        resolved=closed - 1 - i % 2, acknowledged=14 + i, acknowledged_on_time=12 + i % 3, returns=1 + i % 2,
        findings_raised=2 + i % 3, findings_closed=1 + i % 2,
        days_to_acknowledge={"1": 9 + i, "2": 4, "4": 1}, days_to_close={"3": 4, "6": 3 + i, "11": 2},
        kinds={"routine": 20 + 3 * i, "visit_day": 6 + i, "walkthrough": 3, "joint": 2 + 2 * i},
        channels={"in_person": 24 + 4 * i, "phone": 5 + i, "remote": 2}, services={"policy": 18 + i, "warmth": 9, "vitality": 7 + i % 3, "confidence": 5},
        demands=26 + 3 * i, demands_on_spot=11 + i,
    )


TOWNSHIPS = ["dacheng", "xinzhai", "liulin", "hekou", "shanyang", "baima", "qingshui"]


def county_bulletin_dict() -> dict:
    tallies = {t: tally(t, Q1, i) for i, t in enumerate(TOWNSHIPS)}
    tallies["tiny"] = Tally("tiny", Q1, listed=3, visited=2, visits=2, in_person=2, raised=1, closed=1, on_time=1, rated=1,
                            satisfied=1, by_category={"approval": {"raised": 1, "closed": 1, "open_at_end": 0}})
    # the quarter before: lower coverage for most, higher for one; one township (qingshui) had no events then
    previous = {t: tally(t, Q4, i + (1 if t == "xinzhai" else -1), listed=38) for i, t in enumerate(TOWNSHIPS) if t != "qingshui"}
    last_year = {t: tally(t, LAST_Q1, max(i - 2, 0), listed=35) for i, t in enumerate(TOWNSHIPS)}
    report = county_report(tallies, Q1, 3, (previous, last_year))
    units = [
        {"unit_id": "u-dev", "name": "县发改局", "received": 6, "acknowledged": 6, "acknowledged_on_time": 5, "closed": 5,
         "closed_on_time": 4, "resolved": 4, "returned": 0, "followed_up": 3, "satisfied": 3},
        {"unit_id": "u-fin", "name": "县金融办", "received": 41, "acknowledged": 39, "acknowledged_on_time": 33, "closed": 31,
         "closed_on_time": 27, "resolved": 28, "returned": 2, "followed_up": 25, "satisfied": 23},
        {"unit_id": "u-hrss", "name": "县人社局", "received": 22, "acknowledged": 22, "acknowledged_on_time": 21, "closed": 18,
         "closed_on_time": 16, "resolved": 17, "returned": 1, "followed_up": 15, "satisfied": 14},
        {"unit_id": None, "name": "市供电公司", "received": 3, "acknowledged": 0, "acknowledged_on_time": 0, "closed": 2,
         "closed_on_time": 1, "resolved": 2, "returned": 0, "followed_up": 1, "satisfied": 1},
    ]
    return {"scope": "county", "period": "2026-Q1", "published_at": "2026-04-01T17:30:00+00:00", "published_by": "clerk-county",
            "position": POSITION, "hash": content_hash(report), "report": report, "units": units, "names": NAMES,
            "issuer": "示范县遍访企业助企纾困工作领导小组办公室", "number": "〔2026〕3号"}


def township_bulletin_dict() -> dict:
    t = tally("dacheng", Q1, 2)
    # the quarter before had no enterprises yet (its rates are unknown); the same quarter a year earlier did not exist
    report = render(t, 3, (Tally("dacheng", Q4), None))
    units = [{"unit_id": "u-fin", "name": "金融办", "received": 7, "acknowledged": 7, "acknowledged_on_time": 6, "closed": 6,
              "closed_on_time": 5, "resolved": 5, "returned": 1, "followed_up": 4, "satisfied": 4}]
    return {"scope": "dacheng", "period": "2026-Q1", "published_at": "2026-04-02T02:00:00+00:00", "published_by": "clerk-dacheng",
            "position": POSITION, "hash": content_hash(report), "report": report, "units": units, "names": NAMES,
            "issuer": "大程镇遍访企业助企纾困工作领导小组", "number": "〔2026〕1号"}


def old_bulletin_dict() -> dict:
    """Frozen before the documents: the §3 report alone, no number, names, issuer or units."""
    tallies = {t: tally(t, Q1, i) for i, t in enumerate(TOWNSHIPS[:3])}
    report = county_report(tallies, Q1, 1)
    return {"scope": "county", "period": "2026-Q1", "published_at": "2026-04-01T09:00:00+00:00", "published_by": "clerk-county",
            "position": POSITION, "hash": content_hash(report), "report": report}


@pytest.fixture
def county_bulletin() -> dict:
    return county_bulletin_dict()


@pytest.fixture
def township_bulletin() -> dict:
    return township_bulletin_dict()


@pytest.fixture
def old_bulletin() -> dict:
    return old_bulletin_dict()


def old_township_bulletin_dict() -> dict:
    """A township's, frozen with the §3 figures alone, published_at without a zone."""
    report = render(tally("liulin", Period.parse("2026-03"), 1), 1)
    return {"scope": "liulin", "period": "2026-03", "published_at": "2026-04-01T09:00:00", "published_by": "x",
            "position": POSITION, "hash": content_hash(report), "report": report}


@pytest.fixture
def old_township_bulletin() -> dict:
    return old_township_bulletin_dict()


def deep(b: dict) -> dict:
    return copy.deepcopy(b)
