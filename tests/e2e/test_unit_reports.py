"""The units' figures through the real broker: an issue's whole trip on `issues.v1` (routed, 签收, 退回, re-routed,
协办 with a co-unit's part, 延期 asked and approved, closed, 回访 dissatisfied → reopened → 签收 again → closed →
回访 satisfied), two more issues, a finding and a county unit working two townships, consumed by the running
reporting service. The report's new figures and the per-unit tables are the ones worked out by hand below (the
README's definitions); no event is dead-lettered, including the types the report does not need; a rebuild from
the topics gives the same; and a bulletin frozen before these figures existed still verifies."""
from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta

import httpx
from pymongo import MongoClient

from contracts import encode
from contracts.envelope import CHINA, new_event
from contracts.events import (
    FindingClosed,
    FindingRaised,
    IssueAcknowledged,
    IssueAssigned,
    IssueClosed,
    IssueCoHandlingSet,
    IssueDeadlineChanged,
    IssueEscalated,
    IssueExtensionDecided,
    IssueExtensionRequested,
    IssueFollowedUp,
    IssueProgressNoted,
    IssueRaised,
    IssueReopened,
    IssueReturned,
    UnitRegistered,
)
from contracts.topics import ISSUES
from reporting.bulletins import content_hash
from tests.support import events as hand, kafka
from tests.support.apps import bearer
from tests.support.processes import wait_for

V1_FIELDS = ("township", "period", "period_start", "period_end", "enterprises_registered", "enterprises_visited",
             "coverage_rate", "visits", "visits_in_person", "county_leader_visits", "issues_raised", "issues_closed",
             "issues_closed_on_time", "on_time_rate", "issues_open_at_end", "issues_overdue_at_end", "satisfaction_rate",
             "by_category")
SHAPE_3 = ("visits_by_kind", "visits_by_channel", "services_delivered", "demands_raised", "demands_resolved_on_spot",
           "on_spot_rate", "previous_period", "same_period_last_year")
# A comparison block's figures (report.COMPARED) of a period with no event
NOTHING = {"enterprises_registered": 0, "enterprises_visited": 0, "coverage_rate": None, "visits": 0,
           "county_leader_visits": 0, "demands_raised": 0, "issues_raised": 0, "issues_closed": 0, "on_time_rate": None,
           "resolution_rate": None, "satisfaction_rate": None, "mean_working_days_to_close": None}


def d(text: str) -> date:
    return date.fromisoformat(f"2026-{text}")


class Trip:
    """Events in the order written, each stamped a minute after the last, as the issues service would send them."""

    def __init__(self):
        self.sent: list = []
        self.t0 = datetime(2026, 3, 1, 9, tzinfo=CHINA)

    def add(self, township: str, payload) -> None:
        self.sent.append(new_event(payload, township=township, source=f"/townships/{township}/issues",
                                   time=self.t0 + timedelta(minutes=len(self.sent))))

    def messages(self) -> list[tuple[bytes, bytes]]:
        key = lambda e: (getattr(e.data, "enterprise_id", None) or e.data.subject()).encode()  # noqa: E731
        return [(key(e), encode(e)) for e in self.sent]


def trip(ta: str, tb: str, ua: str, uc: str, free: str, rng: random.Random) -> Trip:
    e1, e2, e3, e4 = (hand.uscc(rng) for _ in range(4))
    t = Trip()
    t.add(ta, UnitRegistered(unit_id=ua, name="大程镇人社所", kind="township_office"))
    t.add("county", UnitRegistered(unit_id=uc, name="县人社局", kind="county_department"))
    i1 = dict(issue_id="i1", enterprise_id=e1)
    t.add(ta, IssueRaised(**i1, source="visit", category="labour", description="缺焊工", responsible_unit="镇人社所",
                          unit_id=ua, raised_on=d("03-02"), deadline=d("03-16")))
    t.add(ta, IssueAcknowledged(**i1, unit_id=ua, responsible_unit="镇人社所", assigned_on=d("03-02"),
                                acknowledged_on=d("03-03"), working_days_to_acknowledge=1, on_time=True))
    t.add(ta, IssueReturned(**i1, unit_id=ua, responsible_unit="镇人社所", returned_on=d("03-04"), reason="需县级统筹",
                            suggested_unit_id=uc))
    t.add(ta, IssueAssigned(**i1, responsible_unit="县人社局", unit_id=uc, previous_unit_id=ua, assigned_on=d("03-05"),
                            reason="退回改派"))
    t.add(ta, IssueAcknowledged(**i1, unit_id=uc, responsible_unit="县人社局", assigned_on=d("03-05"),
                                acknowledged_on=d("03-09"), working_days_to_acknowledge=2, on_time=False))
    t.add(ta, IssueCoHandlingSet(**i1, lead_unit_id=uc, co_unit_ids=[ua], set_on=d("03-09")))
    t.add(ta, IssueProgressNoted(**i1, unit_id=ua, noted_on=d("03-10"), note="已组织招聘", part_done=True))
    t.add(ta, IssueExtensionRequested(**i1, request_id="x1", unit_id=uc, deadline=d("03-16"),
                                      requested_deadline=d("03-25"), requested_on=d("03-10"), reason="招聘会排期"))
    t.add(ta, IssueExtensionDecided(**i1, request_id="x1", approved=True, decided_on=d("03-11"), deadline=d("03-25")))
    t.add(ta, IssueDeadlineChanged(**i1, deadline=d("03-25"), previous_deadline=d("03-16"), changed_on=d("03-11"),
                                   reason="批准延期"))
    closed_i1 = dict(**i1, category="labour", raised_on=d("03-02"), outcome="resolved", resolution="招到焊工",
                     unit_id=uc, working_days_to_close=5)
    t.add(ta, IssueClosed(**closed_i1, deadline=d("03-25"), closed_on=d("03-12")))
    t.add(ta, IssueFollowedUp(**i1, followed_up_on=d("03-13"), satisfaction="dissatisfied", unit_id=uc))
    t.add(ta, IssueReopened(**i1, category="labour", reopened_on=d("03-13"), reason="回访不满意", deadline=d("03-27")))
    t.add(ta, IssueAcknowledged(**i1, unit_id=uc, responsible_unit="县人社局", assigned_on=d("03-13"),
                                acknowledged_on=d("03-16"), working_days_to_acknowledge=1, on_time=True))
    t.add(ta, IssueEscalated(**i1, level="blue", previous_level="none", on=d("03-17"), deadline=d("03-27"),
                             overdue_working_days=0, responsible_unit="县人社局", unit_id=uc))
    t.add(ta, IssueClosed(**closed_i1, deadline=d("03-27"), closed_on=d("03-20")))
    t.add(ta, IssueFollowedUp(**i1, followed_up_on=d("03-23"), satisfaction="satisfied", unit_id=uc))

    i2 = dict(issue_id="i2", enterprise_id=e2)
    t.add(ta, IssueRaised(**i2, source="hotline", category="land", description="用地", responsible_unit="镇人社所",
                          unit_id=ua, raised_on=d("03-03"), deadline=d("03-10")))
    t.add(ta, IssueAcknowledged(**i2, unit_id=ua, responsible_unit="镇人社所", assigned_on=d("03-03"),
                                acknowledged_on=d("03-04"), working_days_to_acknowledge=1, on_time=True))
    t.add(ta, IssueClosed(**i2, category="land", raised_on=d("03-03"), deadline=d("03-10"), closed_on=d("03-18"),
                          outcome="explained", resolution="已解释", satisfaction="satisfied", unit_id=ua,
                          working_days_to_close=11))
    t.add(ta, IssueRaised(issue_id="i3", enterprise_id=e3, source="platform", category="market", description="推介",
                          responsible_unit=free, raised_on=d("03-05"), deadline=d("03-19")))  # a free-text unit
    f1 = dict(issue_id="f1", category="approval", raised_on=d("03-06"), deadline=d("03-20"))
    t.add(ta, FindingRaised(**f1, found_by="walkthrough", subject_kind="procedure", subject_name="企业开办",
                            description="跑两次窗口", responsible_unit="县人社局", unit_id=uc))
    t.add(ta, IssueAcknowledged(issue_id="f1", unit_id=uc, responsible_unit="县人社局", assigned_on=d("03-06"),
                                acknowledged_on=d("03-06"), working_days_to_acknowledge=0, on_time=True))
    t.add(ta, FindingClosed(**f1, subject_name="企业开办", closed_on=d("03-19"), outcome="resolved", resolution="一窗通办",
                            unit_id=uc, working_days_to_close=9))

    j1 = dict(issue_id="j1", enterprise_id=e4)
    t.add(tb, IssueRaised(**j1, source="visit", category="labour", description="缺工", responsible_unit="县人社局",
                          unit_id=uc, raised_on=d("03-02"), deadline=d("03-20")))
    t.add(tb, IssueAcknowledged(**j1, unit_id=uc, responsible_unit="县人社局", assigned_on=d("03-02"),
                                acknowledged_on=d("03-10"), working_days_to_acknowledge=6, on_time=False))
    t.add(tb, IssueClosed(**j1, category="labour", raised_on=d("03-02"), deadline=d("03-20"), closed_on=d("03-11"),
                          outcome="resolved", resolution="已招工", satisfaction="very_satisfied", unit_id=uc,
                          working_days_to_close=7))
    return t


def row(unit_id, name, received=0, acknowledged=0, acknowledged_on_time=0, closed=0, closed_on_time=0, resolved=0,
        returned=0, followed_up=0, satisfied=0) -> dict:
    return dict(unit_id=unit_id, name=name, received=received, acknowledged=acknowledged,
                acknowledged_on_time=acknowledged_on_time, closed=closed, closed_on_time=closed_on_time, resolved=resolved,
                returned=returned, followed_up=followed_up, satisfied=satisfied)


def reads(url: str, ta: str, tb: str, ours: set) -> dict:
    h = bearer("county_viewer")

    def get(path: str):
        r = httpx.get(f"{url}/api/v1/reports/{path}", headers=h, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    out = {}
    for p in ("2026-02", "2026-03", "2026-Q1"):
        out[(ta, p)], out[(tb, p)] = get(f"{ta}/{p}"), get(f"{tb}/{p}")
        out[(ta, p, "units")], out[(tb, p, "units")] = get(f"{ta}/{p}/units"), get(f"{tb}/{p}/units")
        county = get(f"county/{p}")
        out[("county", p)] = [r for r in county["townships"] if r["township"] in (ta, tb)]
        out[("county", p, "units")] = [r for r in get(f"county/{p}/units") if (r["unit_id"], r["name"]) in ours]
    return out


def test_the_units_figures_come_out_of_the_running_service_and_a_rebuild_gives_the_same(reporting, kafka_bootstrap, mongo_uri):
    tag = uuid.uuid4().hex[:8]
    ta, tb = f"t-{tag}-a", f"t-{tag}-b"
    ua, uc, free = f"{tag}-rss", f"{tag}-rsj", f"园区.园小二-{tag}"  # a "." as another system may send
    sent = trip(ta, tb, ua, uc, free, random.Random(14))
    group = reporting.env["CONSUMER_GROUP"]
    dlq_start = asyncio.run(kafka.end_offsets(kafka_bootstrap, ISSUES + ".dlq"))

    reporting.start()
    asyncio.run(kafka.produce(kafka_bootstrap, ISSUES, sent.messages()))
    wait_for(lambda: asyncio.run(kafka.lag(kafka_bootstrap, group, ISSUES)) == 0, 120, "the reporting service to catch up")
    wait_for(lambda: httpx.get(f"{reporting.url}/api/v1/reports/{tb}/2026-03", headers=bearer("county_viewer")).status_code == 200,
             30, "the second township's report")

    ours = {(uc, "县人社局"), (ua, "大程镇人社所"), (None, free)}
    got = reads(reporting.url, ta, tb, ours)
    march = got[(ta, "2026-03")]
    assert {k: march[k] for k in ("issues_raised", "issues_closed", "issues_closed_on_time", "issues_open_at_end",
                                  "issues_overdue_at_end", "satisfaction_rate")} == {
        "issues_raised": 3, "issues_closed": 2, "issues_closed_on_time": 1, "issues_open_at_end": 1,
        "issues_overdue_at_end": 1, "satisfaction_rate": 1.0}  # v1's: i1's re-close (no satisfaction on it), i2's
    assert {k: march[k] for k in march if k not in V1_FIELDS} == {
        "issues_resolved": 1, "resolution_rate": 0.5,  # i1 resolved, i2 explained
        "acknowledgements": 4, "acknowledged_on_time": 3,  # i1 three times (ua, uc, uc after the reopening), i2 once
        "mean_working_days_to_acknowledge": 1.25, "p90_working_days_to_acknowledge": 2,  # 1 1 1 2: rank ⌈3.6⌉ = 4
        "mean_working_days_to_close": 8.0, "p90_working_days_to_close": 11,  # i1's counted close 5, i2 11
        "returns": 1, "findings_raised": 1, "findings_closed": 1,
        # the visits' figures (shape 3): the trip logs no visit
        "visits_by_kind": {"routine": 0, "visit_day": 0, "walkthrough": 0, "joint": 0},
        "visits_by_channel": {"in_person": 0, "phone": 0, "remote": 0},
        "services_delivered": {"policy": 0, "warmth": 0, "vitality": 0, "confidence": 0},
        "demands_raised": 0, "demands_resolved_on_spot": 0, "on_spot_rate": None,
        # ... and the comparisons: the trip is all in March 2026, so February and March 2025 hold nothing
        "previous_period": {"period": "2026-02", **NOTHING}, "same_period_last_year": {"period": "2025-03", **NOTHING},
    }
    assert got[(ta, "2026-Q1")]["previous_period"] == {"period": "2025-Q4", **NOTHING}

    assert got[(ta, "2026-03", "units")] == [
        # received: i1's assignment and f1; acknowledged: i1 twice, f1; closed: i1 (its re-close) and f1; followed
        # up and satisfied: i1 by its 03-23 回访 (the dissatisfied one came before this close), f1 unrated
        row(uc, "县人社局", received=2, acknowledged=3, acknowledged_on_time=2, closed=2, closed_on_time=2, resolved=2,
            followed_up=1, satisfied=1),
        # received i1 and i2; i2 closed late, explained, satisfied at its close; i1 returned
        row(ua, "大程镇人社所", received=2, acknowledged=2, acknowledged_on_time=2, closed=1, satisfied=1, returned=1),
        row(None, free, received=1),
    ]
    b = got[(tb, "2026-03")]
    assert (b["issues_closed"], b["issues_resolved"], b["resolution_rate"], b["acknowledgements"],
            b["mean_working_days_to_acknowledge"], b["p90_working_days_to_acknowledge"], b["mean_working_days_to_close"],
            b["p90_working_days_to_close"], b["returns"], b["findings_raised"]) == (1, 1, 1.0, 1, 6.0, 6, 7.0, 7, 0, 0)
    assert got[(tb, "2026-03", "units")] == [row(uc, "县人社局", received=1, acknowledged=1, closed=1, closed_on_time=1,
                                                 resolved=1, satisfied=1)]
    # The county unit's row sums both townships; a township unit's is its own.
    assert got[("county", "2026-03", "units")] == [
        row(uc, "县人社局", received=3, acknowledged=4, acknowledged_on_time=2, closed=3, closed_on_time=3, resolved=3,
            followed_up=1, satisfied=2),
        got[(ta, "2026-03", "units")][1], got[(ta, "2026-03", "units")][2],
    ]
    assert got[("county", "2026-03")] == [got[(ta, "2026-03")], got[(tb, "2026-03")]]
    assert got[(ta, "2026-Q1", "units")] == got[(ta, "2026-03", "units")] and got[(ta, "2026-02", "units")] == []
    feb = got[(ta, "2026-02")]
    assert march["previous_period"] == {"period": "2026-02", **{k: feb[k] for k in NOTHING}}  # February's own figures
    assert (feb["acknowledgements"], feb["mean_working_days_to_acknowledge"], feb["p90_working_days_to_close"],
            feb["resolution_rate"]) == (0, None, None, None)

    # Every type was taken, none dead-lettered (co-handling, progress, extensions, escalations change no figure).
    def ours_dead(r) -> bool:
        headers = {k: v.decode() for k, v in r.headers}
        return headers.get("dlq-consumer-group") == group and r.offset >= dlq_start.get((r.topic, r.partition), 0)
    dead = [r for r in asyncio.run(kafka.read_all(kafka_bootstrap, ISSUES + ".dlq")) if ours_dead(r)]
    assert dead == [], [dict(r.headers) for r in dead]

    # Another township's viewer is refused the table, as the report; a bad period is a 422, no events a 404.
    assert httpx.get(f"{reporting.url}/api/v1/reports/{ta}/2026-03/units", headers=bearer("dacheng_viewer")).status_code == 403
    assert httpx.get(f"{reporting.url}/api/v1/reports/county/2026-03/units", headers=bearer("dacheng_viewer")).status_code == 403
    assert httpx.get(f"{reporting.url}/api/v1/reports/{ta}/2026-Q5/units", headers=bearer("county_viewer")).status_code == 422
    assert httpx.get(f"{reporting.url}/api/v1/reports/nowhere-{tag}/2026/units", headers=bearer("county_viewer")).status_code == 404

    # A bulletin published now carries the new figures; one frozen before them (the §3 report alone) still verifies.
    admin = bearer("county_admin")
    published = httpx.post(f"{reporting.url}/api/v1/bulletins/{ta}/2026-03", headers=admin, timeout=120)
    assert published.status_code == 201, published.text
    assert published.json()["report"] == march
    db = MongoClient(mongo_uri)[reporting.env["MONGODB_DB"]]
    old = {k: published.json()["report"][k] for k in V1_FIELDS}
    db["bulletins"].insert_one({**published.json(), "_id": f"{ta}:2026-Q1", "period": "2026-Q1",
                                "report": {**old, "period": "2026-Q1", "period_start": "2026-01-01"}, "hash": "to-set"})
    frozen = db["bulletins"].find_one({"_id": f"{ta}:2026-Q1"})["report"]
    db["bulletins"].update_one({"_id": f"{ta}:2026-Q1"}, {"$set": {"hash": content_hash(frozen)}})
    for period in ("2026-03", "2026-Q1"):
        verified = httpx.get(f"{reporting.url}/api/v1/bulletins/{ta}/{period}/verify", headers=admin, timeout=120).json()
        assert verified["matches"] is True, (period, verified)
    # One frozen in shape 2 (the units' figures, before the visits' figures and the comparisons) verifies as shape 2.
    of_b = httpx.post(f"{reporting.url}/api/v1/bulletins/{tb}/2026-03", headers=admin, timeout=120)
    assert of_b.status_code == 201 and of_b.json()["report"] == b, of_b.text
    shape_2 = {k: v for k, v in of_b.json()["report"].items() if k not in SHAPE_3}
    assert len(shape_2) == len(V1_FIELDS) + 11 and "resolution_rate" in shape_2
    db["bulletins"].insert_one({**of_b.json(), "_id": f"{tb}:2026-Q1", "period": "2026-Q1",
                                "report": {**shape_2, "period": "2026-Q1", "period_start": "2026-01-01"}, "hash": "to-set"})
    frozen = db["bulletins"].find_one({"_id": f"{tb}:2026-Q1"})["report"]
    db["bulletins"].update_one({"_id": f"{tb}:2026-Q1"}, {"$set": {"hash": content_hash(frozen)}})
    verified = httpx.get(f"{reporting.url}/api/v1/bulletins/{tb}/2026-Q1/verify", headers=admin, timeout=120).json()
    assert verified["matches"] is True, verified

    # A rebuild from the topics gives the same figures and tables.
    done = subprocess.run([sys.executable, "-m", "reporting.rebuild"], env=reporting.env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "generation 2 is active" in done.stdout, done.stderr
    assert db["projection_state"].find_one({"_id": "state"})["active"] == 2
    assert reads(reporting.url, ta, tb, ours) == got
