"""The visits handlers on the in-memory repository and a clock that stands still: no server."""
from __future__ import annotations

from datetime import date

import pytest

from buildingblocks.clock import FixedClock
from tests.unit.visits.fake_repository import FakeRepository
from visits import handlers
from visits.requests import EnterpriseIn, OfficialIn, VisitIn

T = "dacheng"
E1, E2 = "91330782MA2ABCD13A", "91110000600037341L"
TODAY = date(2026, 3, 10)
OFFICIALS = [("c-li", "李县长", "county"), ("t-hao", "郝书记", "township"), ("k-zhao", "赵干事", "cadre")]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


def official(oid: str = "c-li", name: str = "李县长", rank: str = "county", **extra) -> OfficialIn:
    return OfficialIn(official_id=oid, name=name, rank=rank, **extra)


def enterprise(eid: str = E1, *assigned: str, **extra) -> EnterpriseIn:
    body = {"enterprise_id": eid, "name": f"企业{eid[-4:]}", "category": "industry", "registered_on": "2026-01-05",
            "assigned_official_ids": list(assigned or ["c-li"]), **extra}
    return EnterpriseIn.model_validate(body)


def visit(on: date, *visitors: str, kind: str = "routine", **extra) -> VisitIn:
    body = {"enterprise_id": E1, "visited_on": on.isoformat(), "visitor_ids": list(visitors or ["c-li"]),
            "channel": "in_person", "kind": kind, "services": ["policy"], "summary": "", "demands": [], **extra}
    return VisitIn.model_validate(body)


@pytest.fixture
async def seeded(repo, clock) -> FakeRepository:
    """Three officials and enterprise E1 (c-li assigned since 2026-01-05)."""
    for oid, name, rank in OFFICIALS:
        await handlers.register_official(repo, T, official(oid, name, rank), None)
    await handlers.register_enterprise(repo, T, enterprise(), None, clock=clock)
    repo.published.clear()
    return repo
