"""The fault scenarios: a steady stream through the APIs while something dies, or raw events duplicated and
out of order. `FAULTS=full` is the documented full run (`make faults`); the default is CI's quick subset."""
from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Callable

import httpx

from contracts import encode
from contracts.envelope import CHINA, new_event
from contracts.events import EnterpriseRegistered, IssueClosed, IssueRaised, Official, VisitLogged
from contracts.topics import ISSUES, VISITS
from tests.reliability.load import FIRST_DAY, Load
from tests.reliability.system import System
from tests.reliability.verdict import Outcome, issues_of, judge
from tests.support import events as hand, kafka
from tests.support.processes import wait_for

FULL = os.environ.get("FAULTS", "").lower() == "full"
KILLS = 10 if FULL else 2  # per service (each of one replica picked at random)
RESTARTS = 3 if FULL else 1  # per server
STORE_KILLS = 3 if FULL else 1  # SIGKILLs of the store process
BROKER_KILLS = 3  # SIGKILLs of one Kafka node of three (full run only)
ROUNDS = 3 if FULL else 1  # duplicate + disorder rounds


class Stream:
    """Clerk actions in a thread, one after another, until stopped; the faults happen meanwhile."""

    def __init__(self, load: Load, pause_s: float = 0.05):
        self.load, self.pause_s = load, pause_s
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self.load.step()
                time.sleep(self.pause_s)
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def __enter__(self) -> "Stream":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(300)
        if self.error:
            raise self.error


def through_the_apis(system: System, name: str, faults: Callable[[random.Random], None], seed: int) -> Outcome:
    """Set a township up, stream visits and closes while `faults` runs, then judge every report."""
    rng = random.Random(seed)
    township = f"f-{uuid.uuid4().hex[:10]}"
    load = Load(system.balancer("visits"), system.balancer("issues"), township, rng)
    before = dict(system.faults)
    served = {name: Counter(b.answered) for name, b in system.balancers.items()}
    t0 = time.monotonic()
    load.setup()
    with Stream(load):
        time.sleep(rng.uniform(0.5, 1.5))
        faults(rng)
        time.sleep(rng.uniform(0.5, 1.5))
    t1 = time.monotonic()
    load.finish()
    expected = load.expected + load.issue_events(_issues_when_all_in(system, load))
    t2 = time.monotonic()
    runs = sum(system.faults.values()) - sum(before.values())
    outcome = judge(name, runs, system.urls("reporting"), {township: expected}, sent=len(expected),
                    caught_up=lambda: system.lag() == 0)
    outcome.served = {f"{name} {url.rsplit(':', 1)[1]}": n - served[name][url]
                      for name, b in system.balancers.items() for url, n in b.answered.items() if n - served[name][url]}
    outcome.seconds = {"stream": round(t1 - t0, 1), "finish": round(t2 - t1, 1), **outcome.seconds}
    return outcome


def _issues_when_all_in(system: System, load: Load, wait_s: float = 240.0) -> list[dict]:
    """The issues list once every demand has become an issue, read from any replica (they share the store)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            issues = issues_of(system.balancer("issues").pick(), load.township)
        except httpx.HTTPError:
            issues = []
        if len(issues) >= len(load.demands) or time.monotonic() > deadline:
            return issues
        time.sleep(1.0)


def kills(system: System, service: str, count: int = KILLS) -> Callable[[random.Random], None]:
    def run(rng: random.Random) -> None:
        for _ in range(count):
            time.sleep(rng.uniform(1.0, 4.0))
            system.kill(service, rng, down_s=rng.uniform(0.0, 1.5))
    return run


def store_kills(system: System, count: int = STORE_KILLS) -> Callable[[random.Random], None]:
    """kill -9 of the store process itself, then `stack.start()` brings it back on the same H2 file: every write
    it acknowledged must still be there (the reports are compared with everything the clients got a 2xx for)."""
    def run(rng: random.Random) -> None:
        for _ in range(count):
            time.sleep(rng.uniform(2.0, 5.0))
            system.kill_server("store", down_s=rng.uniform(0.0, 2.0))
    return run


def broker_kills(system: System, count: int = BROKER_KILLS) -> Callable[[random.Random], None]:
    """kill -9 of one Kafka node of three, picked at random, then restarted; before the next kill every partition
    is back to three in-sync replicas (one node down at a time, as the cluster is sized for)."""
    def run(rng: random.Random) -> None:
        for _ in range(count):
            time.sleep(rng.uniform(2.0, 5.0))
            system.kill_server(rng.choice(system.stack.NODES), down_s=rng.uniform(1.0, 4.0))
            wait_for(lambda: not system.stack.under_replicated(), 180, "every partition back to 3 in-sync replicas", 1.0)
    return run


def restarts(system: System, server: str, count: int = RESTARTS) -> Callable[[random.Random], None]:
    def run(rng: random.Random) -> None:
        for _ in range(count):
            time.sleep(rng.uniform(2.0, 5.0))
            system.restart_server(server, down_s=rng.uniform(1.0, 4.0))
    return run


def duplicated_and_disordered(system: System, seed: int) -> Outcome:
    """Raw events as other county systems and a replay would send them: every one twice, both topics shuffled
    together (closes before raises, visits before registrations, issues' events before the visits that cause
    theirs), produced in chunks. Unresolved demands also go through the issues service's intake."""
    rng = random.Random(seed)
    township = f"f-{uuid.uuid4().hex[:10]}"
    src = f"/townships/{township}/visits"
    sent: list[tuple[str, Any]] = []
    load = Load(system.balancer("visits"), system.balancer("issues"), township, rng)  # only for its issue bookkeeping
    firms = [hand.uscc(rng) for _ in range(10)]
    at = lambda n: datetime(2026, 1, 1, 9, tzinfo=CHINA) + timedelta(minutes=n)
    for n, firm in enumerate(firms[:8]):
        p = EnterpriseRegistered(enterprise_id=firm, name=f"企业{n}", category="industry", registered_on=FIRST_DAY + timedelta(days=rng.randrange(120)))
        sent.append((VISITS, new_event(p, township=township, source=src, time=at(n))))
    officials = [Official(official_id=f"o{k}", name=f"官员{k}", rank=r) for k, r in enumerate(["county", "township", "cadre"])]
    for n in range(80):
        on = FIRST_DAY + timedelta(days=rng.randrange(300))
        visit_id = f"v{n}"
        demands = [{"demand_id": f"{visit_id}-d{k}", "category": rng.choice(["labour", "land"]), "description": "d",
                    "resolved_on_spot": rng.random() < 0.5} for k in range(rng.choice([0, 0, 1, 2]))]
        firm = rng.choice(firms)
        p = VisitLogged(visit_id=visit_id, enterprise_id=firm, visited_on=on, channel=rng.choice(["in_person", "phone"]),
                        kind="routine", visitors=rng.sample(officials, rng.randint(1, 3)), demands=demands)
        sent.append((VISITS, new_event(p, township=township, source=src, time=at(n))))
        load.demands.update({d["demand_id"]: (firm, on, d["category"]) for d in demands if not d["resolved_on_spot"]})
    for n in range(40):
        raised = FIRST_DAY + timedelta(days=rng.randrange(250))
        facts = dict(issue_id=f"h{n}", enterprise_id=rng.choice(firms), category=rng.choice(["labour", "policy"]),
                     raised_on=raised, deadline=raised + timedelta(days=rng.randrange(5, 30)))
        isrc = f"/townships/{township}/issues"
        sent.append((ISSUES, new_event(IssueRaised(source="hotline", description="d", **facts), township=township, source=isrc, time=at(n))))
        for c in range(rng.choice([0, 1, 1, 2])):
            p = IssueClosed(closed_on=raised + timedelta(days=rng.randrange(60)), outcome="resolved", resolution="r",
                            satisfaction=rng.choice([None, "satisfied", "dissatisfied"]), **facts)
            sent.append((ISSUES, new_event(p, township=township, source=isrc, time=at(n + 60 * (c + 1)))))
    delivered = sent + sent  # every event twice
    rng.shuffle(delivered)
    for i in range(0, len(delivered), 50):
        chunk = delivered[i:i + 50]
        for topic in (VISITS, ISSUES):
            messages = [(e.data.enterprise_id.encode(), encode(e)) for t, e in chunk if t == topic]
            asyncio.run(kafka.produce(system.stack.bootstrap, topic, messages))
    expected = [e for _, e in sent] + load.issue_events(_issues_when_all_in(system, load))
    return judge("every event twice, both topics out of order", 1, system.urls("reporting"), {township: expected},
                 sent=len(delivered), caught_up=lambda: system.lag() == 0)
