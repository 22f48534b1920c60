"""Reports through the real broker: a stream of events (shuffled, partly duplicated, closes before raises)
consumed by the reporting process while it is SIGKILLed twice; the reports equal the ones computed from the
events sent, for all four period kinds and the county total (the visits' figures and the comparison blocks too)."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date, datetime, timedelta

import httpx

from contracts import encode, parse
from contracts.envelope import CHINA, new_event
from contracts.events import Demand, EnterpriseRegistered, IssueClosed, IssueRaised, Official, VisitLogged
from contracts.topics import ISSUES, VISITS
from reporting.facts import facts_for
from reporting.report import Period, compute
from tests.support import events as hand, kafka
from tests.support.apps import bearer

PERIODS = ["2026-01", "2026-02", "2026-03", "2026-Q1", "2026-Q2", "2026-H1", "2026"]
RANKS = ["county", "township", "cadre"]


def stream(townships: list[str], rng: random.Random) -> list:
    out = []
    t0 = datetime(2026, 1, 1, 9, tzinfo=CHINA)
    for township in townships:
        src = f"/townships/{township}/visits"
        firms = [hand.uscc(rng) for _ in range(8)]
        for n, e in enumerate(firms[:6]):
            p = EnterpriseRegistered(enterprise_id=e, name=f"企业{n}", category="industry",
                                     registered_on=date(2026, 1, 1) + timedelta(days=rng.randrange(120)))
            out.append((VISITS, new_event(p, township=township, source=src, time=t0)))
        for n in range(60):
            visitors = [Official(official_id=f"o{k}", name=f"官员{k}", rank=rng.choice(RANKS)) for k in range(rng.randint(1, 3))]
            # with the visits' figures' fields: a kind, 四送 (a service sometimes listed twice), demands told
            demands = [Demand(demand_id=f"d{n}-{k}", category="labour", description="缺工", resolved_on_spot=rng.random() < 0.4)
                       for k in range(rng.choice([0, 0, 1, 2, 3]))]
            p = VisitLogged(visit_id=f"v{n}", enterprise_id=rng.choice(firms), visited_on=date(2026, 1, 1) + timedelta(days=rng.randrange(180)),
                            channel=rng.choice(["in_person", "phone", "remote"]),
                            kind=rng.choice(["routine", "visit_day", "walkthrough", "joint"]), visitors=visitors,
                            services=rng.choices(["policy", "warmth", "vitality", "confidence"], k=rng.randrange(4)),
                            demands=demands)
            out.append((VISITS, new_event(p, township=township, source=src, time=t0 + timedelta(minutes=n))))
        for n in range(30):
            raised = date(2026, 1, 1) + timedelta(days=rng.randrange(150))
            deadline = raised + timedelta(days=rng.randrange(5, 30))
            facts = dict(issue_id=f"i{n}", enterprise_id=rng.choice(firms), category=rng.choice(["labour", "land", "policy"]),
                         raised_on=raised, deadline=deadline)
            out.append((ISSUES, new_event(IssueRaised(source="visit", description="d", **facts), township=township,
                                          source=f"/townships/{township}/issues", time=t0)))
            for c in range(rng.choice([0, 1, 1, 2])):  # sometimes closed, reopened and closed again
                closed = IssueClosed(closed_on=raised + timedelta(days=rng.randrange(0, 60)), outcome="resolved", resolution="r",
                                     satisfaction=rng.choice([None, "satisfied", "dissatisfied", "very_satisfied"]), **facts)
                out.append((ISSUES, new_event(closed, township=township, source=f"/townships/{township}/issues",
                                              time=t0 + timedelta(hours=c + 1))))
    return out


def expected(sent: list, township, period: str) -> dict:
    store: dict[str, dict[str, dict]] = {}
    for _, event in sent:
        for collection, doc in facts_for(parse(encode(event))):
            store.setdefault(collection, {}).setdefault(doc["_id"], {k: v for k, v in doc.items() if k != "_id"})
    return compute({c: list(d.values()) for c, d in store.items()}, township, Period.parse(period))




def test_reports_are_exact_after_two_sigkills_with_duplicates_and_disorder(reporting, kafka_bootstrap):
    rng = random.Random(11)
    townships = [f"t-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    sent = stream(townships, rng)
    delivered = sent + rng.sample(sent, len(sent) // 3)  # a third of the events twice
    rng.shuffle(delivered)  # closes before raises, visits before registrations
    messages = [(topic, event.data.enterprise_id.encode(), encode(event)) for topic, event in delivered]
    chunks = [messages[i::3] for i in range(3)]
    group = reporting.env["CONSUMER_GROUP"]
    headers = bearer("county_viewer")

    reporting.start()
    for i, chunk in enumerate(chunks):
        for topic in (VISITS, ISSUES):
            asyncio.run(kafka.produce(kafka_bootstrap, topic, [(k, v) for t, k, v in chunk if t == topic]))
        if i < 2:
            time.sleep(rng.uniform(0.2, 1.0))  # part-way through consuming
            reporting.kill()
            reporting.start()

    def caught_up():
        return all(asyncio.run(kafka.lag(kafka_bootstrap, group, t)) == 0 for t in (VISITS, ISSUES))

    deadline = time.monotonic() + 120
    while not caught_up():
        assert time.monotonic() < deadline, "the reporting service did not catch up"
        time.sleep(0.5)

    for period in PERIODS:
        for township in townships:
            got = httpx.get(f"{reporting.url}/api/v1/reports/{township}/{period}", headers=headers, timeout=30)
            assert got.status_code == 200, got.text
            assert got.json() == expected(sent, township, period), (township, period)
        county = httpx.get(f"{reporting.url}/api/v1/reports/county/{period}", headers=headers, timeout=30).json()
        ours = {r["township"]: r for r in county["townships"] if r["township"] in townships}
        assert ours == {t: expected(sent, t, period) for t in townships}
        assert county["total"]["visits"] >= sum(r["visits"] for r in ours.values())

    for township in townships:  # the visits' figures against the visits sent, counted here by hand (all in 2026)
        year = httpx.get(f"{reporting.url}/api/v1/reports/{township}/2026", headers=headers, timeout=30).json()
        logged = [e.data for _, e in sent if e.township == township and isinstance(e.data, VisitLogged)]
        assert sum(year["visits_by_kind"].values()) == sum(year["visits_by_channel"].values()) == year["visits"] == len(logged)
        assert year["services_delivered"] == {x: sum(x in {s.value for s in v.services} for v in logged)
                                              for x in ("policy", "warmth", "vitality", "confidence")}
        assert (year["demands_raised"], year["demands_resolved_on_spot"]) == (
            sum(len(v.demands) for v in logged), sum(d.resolved_on_spot for v in logged for d in v.demands))
        assert year["previous_period"]["period"] == "2025" and year["previous_period"]["visits"] == 0

    bad = httpx.get(f"{reporting.url}/api/v1/reports/{townships[0]}/2026-Q5", headers=headers)
    assert bad.status_code == 422 and "period" in bad.text
    assert httpx.get(f"{reporting.url}/api/v1/reports/nowhere/2026", headers=headers).status_code == 404
    assert httpx.get(f"{reporting.url}/api/v1/reports/{townships[0]}/2026", headers=bearer("dacheng_clerk")).status_code == 403
