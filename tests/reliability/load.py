"""A township's steady stream through the public APIs, retried the way a client does while services die.

Each service is reached through a Balancer (tests/reliability/system.py): requests alternate over its replicas
and one that finds a replica dead goes on to the next, as behind a load balancer.

Every accepted request is also written down as the event the contract says it must cause, so a scenario can
compute the reports it expects from what it sent (tests/support/reference.py), independently of the system.
"""
from __future__ import annotations

import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Optional

import httpx

from contracts.envelope import CHINA, CloudEvent, new_event
from contracts.events import EnterpriseRegistered, IssueClosed, IssueRaised, Official, VisitLogged
from tests.support import events as hand
from tests.support.apps import bearer

if TYPE_CHECKING:
    from tests.reliability.system import Balancer

CLERK = bearer("county_admin")
OFFICIALS = [Official(official_id=f"o{n}", name=f"官员{n}", rank=rank) for n, rank in enumerate(["county", "township", "cadre"], 1)]
FIRST_DAY, LAST_DAY = date(2026, 1, 1), date(2026, 10, 31)  # every visit lies in the past, whenever CI runs


class Refused(AssertionError):
    """The system refused a request a client had every right to make: a defect, not a fault to ride out."""


def call(service: "Balancer", path: str, method: str, body: Any = None, key: Optional[str] = None,
         give_up_s: float = 240.0) -> httpx.Response:
    """Send until a replica of the service answers (connection errors, timeouts and 5xx are retried with the same
    key on the next replica; a pause only once every replica has failed in a row)."""
    headers = {**CLERK, **({"Idempotency-Key": key} if key else {})}
    deadline = time.monotonic() + give_up_s
    for attempt in itertools.count(1):
        url = service.pick()
        try:
            response = httpx.request(method, f"{url}{path}", json=body, headers=headers, timeout=15)
            if response.status_code < 500:
                service.served(url)
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {path} got no answer from {service.urls} in {give_up_s}s")
        if attempt % len(service.urls) == 0:
            time.sleep(0.3)
    raise AssertionError("unreachable")


@dataclass
class Load:
    visits: "Balancer"
    issues: "Balancer"
    township: str
    rng: random.Random
    expected: list[CloudEvent[Any]] = field(default_factory=list)
    enterprises: list[str] = field(default_factory=list)
    to_close: list[tuple[str, date]] = field(default_factory=list)  # (issue_id, raised_on) the issues service owes us
    closes: dict[str, dict] = field(default_factory=dict)
    demands: dict[str, tuple[str, date, str]] = field(default_factory=dict)  # demand_id → (enterprise, raised_on, category)
    requests: int = 0

    @property
    def base(self) -> str:
        return f"/api/v1/townships/{self.township}"

    def setup(self, enterprises: int = 8) -> None:
        put = call(self.visits, f"{self.base}/settings", "PUT", {"quiet_period_days": 0})  # the stream revisits on purpose
        self._accept(put)
        for o in OFFICIALS:
            self._accept(call(self.visits, f"{self.base}/officials", "POST", {**o.model_dump(mode="json"), "unit": "县委"}, key=f"{self.township}/{o.official_id}"))
        for n in range(enterprises):
            self.register(n)

    def register(self, n: int) -> None:
        enterprise = hand.uscc(self.rng)
        on = FIRST_DAY + timedelta(days=self.rng.randrange(90))
        body = {"enterprise_id": enterprise, "name": f"企业{n}", "category": "industry", "registered_on": on.isoformat()}
        self._accept(call(self.visits, f"{self.base}/enterprises", "POST", body, key=f"{self.township}/e{n}"))
        self.enterprises.append(enterprise)
        payload = EnterpriseRegistered(enterprise_id=enterprise, name=f"企业{n}", category="industry", registered_on=on)
        self.expected.append(self._event(payload))

    def step(self) -> None:
        """One clerk action: mostly a visit (some with demands), sometimes closing an issue raised earlier."""
        if self.to_close and self.rng.random() < 0.35:
            self.close(self.to_close.pop(self.rng.randrange(len(self.to_close))))
        else:
            self.visit()

    def visit(self) -> None:
        visitors = self.rng.sample(OFFICIALS, self.rng.randint(1, 3))
        on = FIRST_DAY + timedelta(days=self.rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
        demands = [{"category": self.rng.choice(["labour", "land", "policy", "financing"]), "description": "需协调",
                    "resolved_on_spot": self.rng.random() < 0.3} for _ in range(self.rng.choice([0, 0, 1, 2]))]
        body = {"enterprise_id": self.rng.choice(self.enterprises), "visited_on": on.isoformat(),
                "visitor_ids": [o.official_id for o in visitors], "channel": self.rng.choice(["in_person", "phone", "remote"]),
                "kind": "routine", "services": ["policy"], "summary": "走访", "demands": demands}
        response = self._accept(call(self.visits, f"{self.base}/visits", "POST", body, key=uuid.uuid4().hex))
        visit = response.json()
        self.expected.append(self._event(VisitLogged.model_validate({k: visit[k] for k in VisitLogged.model_fields if k in visit})))
        for d in visit["demands"]:
            if not d["resolved_on_spot"]:
                self.demands[d["demand_id"]] = (visit["enterprise_id"], on, d["category"])
                self.to_close.append((d["demand_id"], on))

    def close(self, item: tuple[str, date]) -> None:
        """Close the issue a demand became, once the issues service has it; a retried close that finds the issue
        already closed by our own earlier attempt is a success, as a clerk would see it."""
        demand_id, raised_on = item
        issue_id = self.issue_id(demand_id)
        closed_on = min(raised_on + timedelta(days=self.rng.randrange(40)), LAST_DAY)
        body = {"closed_on": closed_on.isoformat(), "outcome": "resolved", "resolution": "已协调解决",
                "satisfaction": self.rng.choice([None, "satisfied", "very_satisfied", "dissatisfied"])}
        path = f"{self.base}/issues/{issue_id}"
        response = call(self.issues, f"{path}/close", "POST", body)
        self.requests += 1
        if response.status_code == 404:  # not taken in yet: try again later
            self.to_close.append(item)
            return
        if response.status_code == 409:
            current = call(self.issues, path, "GET").json()
            if current.get("closed_on") != body["closed_on"]:
                raise Refused(f"close of {issue_id}: {response.text}")
        elif response.status_code != 200:
            raise Refused(f"close of {issue_id}: {response.status_code} {response.text}")
        self.closes[issue_id] = body

    def issue_id(self, demand_id: str) -> str:
        from issues.domain import issue_id_for_demand  # the contract's rule: one issue per visit demand

        return issue_id_for_demand(self.township, demand_id)

    def finish(self, give_up_s: float = 240.0) -> None:
        """Close what is still owed, waiting for the issues service to take the demands in."""
        deadline = time.monotonic() + give_up_s
        while self.to_close:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.to_close)} demands never became issues")
            pending = list(self.to_close)
            self.to_close.clear()
            for item in pending:
                self.close(item)
            if self.to_close:
                time.sleep(1.0)

    def issue_events(self, issues: list[dict]) -> list[CloudEvent[Any]]:
        """IssueRaised for each demand and IssueClosed for each close we made; the deadline (the SLA count of the
        issues service, tested on its own) is the only thing taken from the system."""
        deadlines = {i["issue_id"]: date.fromisoformat(i["deadline"]) for i in issues}
        out = []
        for demand_id, (enterprise, raised_on, category) in self.demands.items():
            issue_id = self.issue_id(demand_id)
            facts = dict(issue_id=issue_id, enterprise_id=enterprise, category=category, raised_on=raised_on,
                         deadline=deadlines.get(issue_id, raised_on))
            out.append(self._event(IssueRaised(source="visit", visit_id=demand_id.rsplit("-", 1)[0], description="需协调", **facts)))
            if issue_id in self.closes:
                c = self.closes[issue_id]
                out.append(self._event(IssueClosed(closed_on=date.fromisoformat(c["closed_on"]), outcome=c["outcome"],
                                                   resolution=c["resolution"], satisfaction=c["satisfaction"], **facts)))
        return out

    def _accept(self, response: httpx.Response) -> httpx.Response:
        self.requests += 1
        if response.status_code not in (200, 201):
            raise Refused(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
        return response

    def _event(self, payload) -> CloudEvent[Any]:
        return new_event(payload, township=self.township, source=f"/faults/{self.township}", time=datetime.now(CHINA))
