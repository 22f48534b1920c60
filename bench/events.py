"""A province's worth of events, generated fast: dict templates → json.dumps, deterministic from a seed.

The stream is a random walk over the campaign: enterprises are registered in townships, visited, raise
issues, and most issues get closed. Every event is valid per contracts (USCC check characters, YYYY-MM-DD
dates, RFC 3339 times with offset), keyed by its enterprise id; `check_sample` proves it with contracts.parse.
"""
from __future__ import annotations

import json
import random
from datetime import date
from typing import Iterator

from contracts.topics import ISSUES, VISITS

CE_HEADERS = [("content-type", b"application/cloudevents+json; charset=UTF-8")]
CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [pow(3, i, 31) for i in range(17)]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]
REGIONS = ["610422", "610423", "610424", "610425", "610426", "610428", "610429", "610430", "610431", "610481"]

FIRST_DAY = date(2026, 1, 1).toordinal()
REG_LAST = date(2026, 3, 31).toordinal()
LAST_DAY = date(2026, 10, 31).toordinal()
DAY = {o: date.fromordinal(o).isoformat() for o in range(FIRST_DAY - 10, LAST_DAY + 60)}

CATEGORIES = ["industry", "construction", "trade", "services", "real_estate", "project"]
ISSUE_CATEGORIES = ["labour", "financing", "land", "approval", "market", "infrastructure", "policy"]
CHANNELS = ["in_person", "in_person", "in_person", "phone", "remote"]
KINDS = ["routine", "routine", "routine", "visit_day", "walkthrough", "joint"]
RANKS = ["county", "township", "township", "cadre", "cadre"]
SERVICES = ["policy", "warmth", "vitality", "confidence"]
OUTCOMES = ["resolved", "resolved", "resolved", "explained", "not_in_scope", "duplicate"]
SATISFACTION = ["very_satisfied", "satisfied", "satisfied", "basically_satisfied", "dissatisfied", None]
UNITS = ["县人社局", "县发改局", "县自然资源局", "县行政审批局", "县工信局", "县住建局", "县财政局"]


def uscc(rng: random.Random, region: str) -> str:
    body = "".join(rng.choice(CS) for _ in range(8))
    org = 11 - sum(int(c, 36) * w for c, w in zip(body, ORG_W)) % 11
    first17 = "91" + region + body + {10: "X", 11: "0"}.get(org, str(org))
    return first17 + CS[(31 - sum(CS.index(c) * w for c, w in zip(first17, W)) % 31) % 31]


def _envelope(event_id: str, event_type: str, township: str, service: str, subject: str, day: str, data: dict) -> bytes:
    body = {
        "specversion": "1.0", "id": event_id, "type": event_type, "source": f"/townships/{township}/{service}",
        "subject": subject, "time": f"{day}T10:30:00+08:00", "datacontenttype": "application/json",
        "dataschema": f"urn:township-events:{event_type}:1", "township": township, "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Province:
    """`take(n)` → the next n events as (topic, key, value); the mix is ~12 % EnterpriseRegistered,
    ~55 % VisitLogged, ~18 % IssueRaised, ~15 % IssueClosed, spread over `townships` townships."""

    def __init__(self, townships: int, seed: int = 20260101, run_id: str = "b"):
        self.rng = random.Random(seed)
        self.townships = [f"t{n:04d}" for n in range(1, townships + 1)]
        self.run_id = run_id
        self.seq = 0
        self.enterprises: list[tuple[str, str, int]] = []  # (township, enterprise_id, registered_on ordinal)
        # (township, issue id, enterprise id, category, raised on, deadline) of the issues not closed yet
        self.open_issues: list[tuple[str, str, str, str, int, int]] = []
        self.produced = {"EnterpriseRegistered": 0, "VisitLogged": 0, "IssueRaised": 0, "IssueClosed": 0}

    def _id(self, kind: str) -> str:
        self.seq += 1
        return f"{self.run_id}-{kind}{self.seq:08d}"

    def _official(self, township: str) -> dict:
        n = self.rng.randrange(12)
        return {"official_id": f"{township}-o{n:02d}", "name": f"干部{n:02d}", "rank": RANKS[n % len(RANKS)]}

    def _register(self) -> tuple[str, bytes, bytes]:
        rng = self.rng
        # Every township first, so a county report lists the same townships at 10k events as at 1M (P4
        # compares history, not the number of townships).
        covered = self.produced["EnterpriseRegistered"]
        township = self.townships[covered] if covered < len(self.townships) else rng.choice(self.townships)
        eid = uscc(rng, rng.choice(REGIONS))
        on = rng.randint(FIRST_DAY, REG_LAST)
        self.enterprises.append((township, eid, on))
        data = {"enterprise_id": eid, "name": f"企业{len(self.enterprises)}", "category": rng.choice(CATEGORIES),
                "registered_on": DAY[on], "park": rng.choice([None, "县工业园"]),
                "assigned_officials": [self._official(township)]}
        self.produced["EnterpriseRegistered"] += 1
        return VISITS, eid, _envelope(self._id("e"), "EnterpriseRegistered", township, "visits", eid, DAY[on], data)

    def _visit(self) -> tuple[str, str, bytes]:
        rng = self.rng
        township, eid, reg = self.enterprises[rng.randrange(len(self.enterprises))]
        on = rng.randint(reg, LAST_DAY)
        visit_id = self._id("v")
        kind = rng.choice(KINDS)
        visitors = [self._official(township)]
        if kind == "joint":
            other = self._official(township)
            if other["official_id"] != visitors[0]["official_id"]:
                visitors.append(other)
        n_demands = (rng.random() < 0.3) + (rng.random() < 0.1)
        demands = [{"demand_id": f"{visit_id}-d{k}", "category": rng.choice(ISSUE_CATEGORIES),
                    "description": "用工紧张", "resolved_on_spot": rng.random() < 0.3} for k in range(1, 1 + n_demands)]
        data = {"visit_id": visit_id, "enterprise_id": eid, "visited_on": DAY[on], "channel": rng.choice(CHANNELS),
                "kind": kind, "visitors": visitors, "services": rng.sample(SERVICES, rng.randint(1, 3)),
                "summary": "走访了解生产经营情况", "demands": demands}
        self.produced["VisitLogged"] += 1
        return VISITS, eid, _envelope(self._id("x"), "VisitLogged", township, "visits", visit_id, DAY[on], data)

    def _raise(self) -> tuple[str, str, bytes]:
        rng = self.rng
        township, eid, reg = self.enterprises[rng.randrange(len(self.enterprises))]
        on = rng.randint(reg, LAST_DAY - 15)
        issue_id = self._id("i")
        category = rng.choice(ISSUE_CATEGORIES)
        deadline = on + rng.choice([14, 21, 28])
        self.open_issues.append((township, issue_id, eid, category, on, deadline))
        data = {"issue_id": issue_id, "enterprise_id": eid, "source": "visit", "visit_id": None, "category": category,
                "description": "企业反映的困难", "responsible_unit": rng.choice(UNITS), "raised_on": DAY[on],
                "deadline": DAY[deadline]}
        self.produced["IssueRaised"] += 1
        return ISSUES, eid, _envelope(self._id("r"), "IssueRaised", township, "issues", issue_id, DAY[on], data)

    def _close(self) -> tuple[str, str, bytes]:
        rng = self.rng
        k = rng.randrange(len(self.open_issues))
        self.open_issues[k], self.open_issues[-1] = self.open_issues[-1], self.open_issues[k]
        township, issue_id, eid, category, raised, deadline = self.open_issues.pop()
        closed = min(raised + rng.randint(1, 35), LAST_DAY + 20)
        data = {"issue_id": issue_id, "enterprise_id": eid, "category": category, "raised_on": DAY[raised],
                "deadline": DAY[deadline], "closed_on": DAY[closed], "outcome": rng.choice(OUTCOMES),
                "resolution": "已协调解决", "satisfaction": rng.choice(SATISFACTION)}
        self.produced["IssueClosed"] += 1
        return ISSUES, eid, _envelope(self._id("c"), "IssueClosed", township, "issues", issue_id, DAY[closed], data)

    def next(self) -> tuple[str, str, bytes]:
        r = self.rng.random()
        if len(self.enterprises) < len(self.townships) or r < 0.12:
            return self._register()
        if r < 0.67:
            return self._visit()
        if r < 0.85 or not self.open_issues:
            return self._raise()
        return self._close()

    def take(self, n: int) -> Iterator[tuple[str, str, bytes]]:
        for _ in range(n):
            yield self.next()


def visit_logged(township: str, enterprise_id: str, visit_id: str, day: str, event_id: str) -> bytes:
    """One VisitLogged as the visits service would publish it (for the raw-Kafka latency baseline)."""
    data = {"visit_id": visit_id, "enterprise_id": enterprise_id, "visited_on": day, "channel": "in_person",
            "kind": "joint", "visitors": [{"official_id": "o1", "name": "王县长", "rank": "county"},
                                          {"official_id": "o2", "name": "李镇长", "rank": "township"}],
            "services": ["policy"], "summary": "", "demands": []}
    return _envelope(event_id, "VisitLogged", township, "visits", visit_id, day, data)


def check_sample(values: list[bytes]) -> int:
    """Every value must parse per contracts (raises InvalidEvent otherwise); returns how many were checked."""
    from contracts.envelope import parse

    for v in values:
        parse(v)
    return len(values)
