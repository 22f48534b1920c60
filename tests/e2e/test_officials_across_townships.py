"""One official across townships, assignments as events, quotas — the visits, issues and reporting services as real
processes on the real Kafka and store (issue 15, items 3–5):

- a county-level official registered once is assigned in Dacheng and in Xiyang; 我的企业 lists both with the last
  visit and the open issues (an issue raised from a visit's demand, through the issues service and issues.v1);
  each township's clerk sees only their own and gets 403 for the other township and for the county-wide list;
- the end of one assignment and the start of the next publish AssignmentEnded and AssignmentStarted, once each;
- the 2026-Q1 scorecard with that mid-quarter reassignment equals the day-by-day reference computed from the
  events read back off visits.v1 (tests/support/reference.py, written apart from the service);
- quotas set through the API change the attainment (达标率).

The services live on 2026-04-10 (CLOCK_TODAY): the quarter is over. Ids are this test's own, so the events of other
tests on the shared topics change none of the cards compared."""
from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest

from contracts import InvalidEvent, parse
from tests.support import kafka
from tests.support.apps import bearer
from tests.support.events import uscc
from tests.support.processes import call, running, wait_for
from tests.support.reference import ref_period, reference_scorecards

TODAY = "2026-04-10"
DACHENG, XIYANG = "/api/v1/townships/dacheng", "/api/v1/townships/xiyang"
ADMIN, LEADER = bearer("county_admin"), bearer("county_leader")
DC, XY = bearer("dacheng_clerk"), bearer("xiyang_clerk")
CARD_FIELDS = ("visits_led", "visits_joined", "assigned_visits", "assigned_enterprises", "assigned_enterprise_days",
               "assigned_enterprises_visited", "coverage_rate", "quota_due", "quota_met", "attainment_rate")


@pytest.fixture
def services(stack):
    with running(("visits", "issues", "reporting"), CLOCK_TODAY=TODAY) as procs:
        yield procs


def visit(enterprise_id: str, on: str, *visitors: str, demands: list | None = None) -> dict:
    return {"enterprise_id": enterprise_id, "visited_on": on, "visitor_ids": list(visitors), "channel": "in_person",
            "kind": "routine", "services": ["policy"], "summary": "", "demands": demands or []}


def parsed(record):
    """The event, or None for the malformed messages the reliability tests put on this shared Kafka."""
    try:
        return parse(record.value)
    except InvalidEvent:
        return None


def test_one_official_in_two_townships_assignments_as_events_scorecards_and_quotas(services, kafka_bootstrap):
    visits, reporting = services["visits"].url, services["reporting"].url
    rng = random.Random(uuid.uuid4().int)
    e1, e2 = uscc(rng), uscc(rng)
    suffix = uuid.uuid4().hex[:6]
    wang, li = f"cl-wang-{suffix}", f"c-li-{suffix}"

    # Registered once at county level (a second PUT changes it), assigned in both townships.
    call("PUT", f"{visits}/api/v1/townships/county/officials/{wang}", ADMIN, {"name": "王建国", "rank": "county"}, 201)
    call("PUT", f"{visits}/api/v1/townships/county/officials/{wang}", ADMIN, {"name": "王建国", "rank": "county", "unit": "县政府"})
    call("PUT", f"{visits}/api/v1/townships/county/officials/{wang}", DC, {"name": "x", "rank": "county"}, 403)
    call("POST", f"{visits}{DACHENG}/officials", DC, {"official_id": li, "name": "李县长", "rank": "county"}, 201)
    ent = {"category": "industry", "registered_on": "2026-01-01"}
    call("POST", f"{visits}{DACHENG}/enterprises", DC, {"enterprise_id": e1, "name": "大程机械", **ent, "assigned_official_ids": [li]}, 201)
    call("POST", f"{visits}{XIYANG}/enterprises", XY, {"enterprise_id": e2, "name": "西阳食品", **ent, "assigned_official_ids": [wang]}, 201)
    # Mid-quarter, Dacheng hands E1 from 李 to 王.
    call("POST", f"{visits}{DACHENG}/enterprises/{e1}/assignments/{li}/end", DC, {"end": "2026-02-15", "reason": "工作调整"})
    call("POST", f"{visits}{DACHENG}/enterprises/{e1}/assignments", DC, {"official_id": wang, "start": "2026-02-16"}, 201)
    call("POST", f"{visits}{DACHENG}/visits", DC, visit(e1, "2026-01-20", li, demands=[{"category": "labour", "description": "缺焊工"}]), 201)
    call("POST", f"{visits}{DACHENG}/visits", DC, visit(e1, "2026-03-02", wang), 201)
    call("POST", f"{visits}{XIYANG}/visits", XY, visit(e2, "2026-02-01", wang), 201)

    # 我的企业: both townships for a county token, with the last visit and the issue the demand became.
    def mine():
        found = call("GET", f"{visits}/api/v1/officials/{wang}/enterprises", LEADER)
        rows = {e["enterprise_id"]: e for e in found["enterprises"]}
        return rows if rows.get(e1, {}).get("open_issues") == 1 else None

    rows = wait_for(mine, 90, "the demand's issue to reach 我的企业 through the issues service and issues.v1")
    assert set(rows) == {e1, e2}
    assert (rows[e1]["township"], rows[e1]["assigned_since"], rows[e1]["last_visited_on"], rows[e1]["last_visited_by"]) == \
           ("dacheng", "2026-02-16", "2026-03-02", "王建国")
    assert (rows[e2]["township"], rows[e2]["last_visited_on"], rows[e2]["open_issues"]) == ("xiyang", "2026-02-01", 0)
    # Each township's clerk: only their own; the other township and the county-wide list are 403.
    for clerk, own, other, theirs in ((DC, DACHENG, XIYANG, e1), (XY, XIYANG, DACHENG, e2)):
        found = call("GET", f"{visits}{own}/officials/{wang}/enterprises", clerk)
        assert [e["enterprise_id"] for e in found["enterprises"]] == [theirs]
        call("GET", f"{visits}{other}/officials/{wang}/enterprises", clerk, status=403)
        call("GET", f"{visits}/api/v1/officials/{wang}/enterprises", clerk, status=403)

    # AssignmentEnded and AssignmentStarted, once each, keyed by the enterprise.
    def assignment_events():
        records = [r for r in asyncio.run(kafka.read_all(kafka_bootstrap, "visits.v1", timeout_s=20)) if r.key == e1.encode()]
        events = [parse(r.value) for r in records]
        return events if {"AssignmentStarted", "AssignmentEnded"} <= {e.type for e in events} else None

    events_e1 = wait_for(assignment_events, 60, "the assignment events on visits.v1")
    started = [e.data for e in events_e1 if e.type == "AssignmentStarted"]
    ended = [e.data for e in events_e1 if e.type == "AssignmentEnded"]
    assert [(s.official.official_id, s.started_on.isoformat()) for s in started] == [(wang, "2026-02-16")]
    assert [(x.official_id, x.ended_on.isoformat(), x.reason) for x in ended] == [(li, "2026-02-15", "工作调整")]

    # The scorecard of 2026-Q1 against the reference over the events of both enterprises, as read back.
    every = asyncio.run(kafka.read_all(kafka_bootstrap, "visits.v1", timeout_s=20))
    ours = [e for e in map(parsed, every) if e and getattr(e.data, "enterprise_id", None) in (e1, e2)]
    assert len([e for e in ours if e.type == "VisitLogged"]) == 3

    def cards(scope: str):
        found = call("GET", f"{reporting}/api/v1/scorecards/{scope}/2026-Q1", ADMIN)
        by = {(c["township"], c["official_id"]): c for c in found["officials"] if c["official_id"] in (wang, li)}
        return by if len(by) == (2 if scope == "dacheng" else 3) and by.get(("dacheng", wang), {}).get("assigned_visits") else None

    def compare(quotas: dict) -> dict:
        for scope, township in (("dacheng", "dacheng"), ("county", None)):
            got = wait_for(lambda: cards(scope), 90, f"the {scope} scorecard of our officials")
            want = reference_scorecards(ours, township, ref_period("2026-Q1"), quotas)
            assert set(got) == set(want), (sorted(got), sorted(want))
            for k in want:
                assert {f: got[k][f] for f in CARD_FIELDS} == pytest.approx(want[k]), (k, got[k], want[k])
        return wait_for(lambda: cards("county"), 10, "the county scorecard")

    assert call("GET", f"{reporting}/api/v1/quotas", LEADER) == {"county": {"visits": 1, "every": "quarter"}}
    county = compare({"county": {"visits": 1, "every": "quarter"}})
    li_card, wang_dc = county[("dacheng", li)], county[("dacheng", wang)]
    assert (li_card["assigned_enterprise_days"], wang_dc["assigned_enterprise_days"]) == (46, 44)  # 01-01..02-15, 02-16..03-31
    assert (li_card["attainment_rate"], wang_dc["attainment_rate"]) == (1.0, 1.0)

    # Two visits a quarter: one visit each no longer meets it. A township token may not set quotas.
    call("PUT", f"{reporting}/api/v1/quotas", DC, {"county": {"visits": 2, "every": "quarter"}}, 403)
    assert call("PUT", f"{reporting}/api/v1/quotas", ADMIN, {"county": {"visits": 2, "every": "quarter"}}) == \
           {"county": {"visits": 2, "every": "quarter"}}
    county = compare({"county": {"visits": 2, "every": "quarter"}})
    assert (county[("dacheng", li)]["attainment_rate"], county[("xiyang", wang)]["attainment_rate"]) == (0.0, 0.0)
    assert county[("dacheng", li)]["quota"] == {"visits": 2, "every": "quarter"}
    bad = httpx.put(f"{reporting}/api/v1/quotas", json={"county": {"visits": 0, "every": "week"}}, headers=ADMIN, timeout=10)
    assert bad.status_code == 422 and {tuple(e["loc"][-2:]) for e in bad.json()["detail"]} == {("county", "visits"), ("county", "every")}
