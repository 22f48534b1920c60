"""The visits repository in memory: the interface of visits.repository.Repository, with its compare-and-set
semantics (a save fails if another save of the same part of the enterprise came since it was loaded) and its
two-step save of a visit (reserved on the enterprise, then stored), so that every rule of every handler, the
concurrent ones and the recovery included, is tested without a server. What is shown is the real mapper's."""
from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Optional, Sequence
from weakref import WeakKeyDictionary

from contracts.events import Payload, TownshipRegistered
from visits import repository as r
from visits.domain import (
    COUNTY,
    DEFAULT_QUIET_DAYS,
    SEED_COUNTY,
    SEED_TOWNSHIPS,
    Campaign,
    Enterprise,
    Official,
    PastVisit,
    Plan,
    Visit,
)


@dataclass
class _Stored:
    enterprise: Enterprise  # the repository's own copy
    version: int = 1  # of the assignments
    guard_version: int = 0  # of the visit log
    last_visit: Optional[PastVisit] = None  # by (visited_on, visit_id), as the document keeps it
    pending: dict[str, tuple[Visit, list[Payload]]] = field(default_factory=dict)  # reserved, not stored yet


@dataclass(frozen=True)
class _Versions:
    version: int
    guard_version: int


class FakeRepository:
    def __init__(self) -> None:
        self._officials: dict[tuple[str, str], Official] = {}
        self._enterprises: dict[tuple[str, str], _Stored] = {}
        self._visits: dict[tuple[str, str], Visit] = {}
        self._quiet: dict[str, int] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self.contacts_docs: dict[str, dict[str, Any]] = {}  # what visits/contacts.py would have projected
        self.contact_budget = 4
        self._townships: dict[str, dict[str, Any]] = {}
        self._loaded: WeakKeyDictionary[Enterprise, _Versions] = WeakKeyDictionary()
        self._campaigns: dict[tuple[str, str], tuple[Campaign, int]] = {}  # the stored copy and its version
        self._campaign_versions: WeakKeyDictionary[Campaign, int] = WeakKeyDictionary()
        self.published: list[tuple[str, Payload, datetime]] = []  # (township, event, time): what the outbox holds
        self.issues: dict[str, dict[str, Any]] = {}  # issue_states, as open_issues.py writes them

    @staticmethod
    async def _turn() -> None:
        await asyncio.sleep(0)  # every call lets other requests run, as a round trip to the store does

    async def ensure_indexes(self) -> None:
        pass

    # --- officials ---------------------------------------------------------------------------------------------

    async def add_official(self, official: Official) -> None:
        await self._turn()
        k = (official.township, official.official_id)
        if k in self._officials:
            raise r.AlreadyExists(self._officials[k])
        self._officials[k] = official

    async def officials(self, township: str, ids: list[str]) -> dict[str, Official]:
        await self._turn()
        found = {i: self._officials[(COUNTY, i)] for i in ids if (COUNTY, i) in self._officials}
        found.update({i: self._officials[(township, i)] for i in ids if (township, i) in self._officials})
        return found

    async def put_official(self, official: Official) -> bool:
        await self._turn()
        new = (official.township, official.official_id) not in self._officials
        self._officials[(official.township, official.official_id)] = official
        return new

    async def list_officials(self, township: str) -> list[dict[str, Any]]:
        await self._turn()
        found = sorted((o for (t, _), o in self._officials.items() if t == township), key=lambda o: o.official_id)
        return [{**r.shown(o), "request_hash": o.submission.digest if o.submission else None} for o in found]

    # --- enterprises -------------------------------------------------------------------------------------------

    def _remember(self, enterprise: Enterprise, stored: _Stored) -> Enterprise:
        self._loaded[enterprise] = _Versions(stored.version, stored.guard_version)
        return enterprise

    async def add_enterprise(self, enterprise: Enterprise, happened: Sequence[Payload], at: datetime) -> None:
        await self._turn()
        k = (enterprise.township, enterprise.enterprise_id)
        if k in self._enterprises:
            raise r.AlreadyExists(await self.enterprise(*k))
        stored = self._enterprises[k] = _Stored(copy.deepcopy(enterprise))
        self.published += [(enterprise.township, p, at) for p in happened]
        self._remember(enterprise, stored)

    async def enterprise(self, township: str, enterprise_id: str) -> Optional[Enterprise]:
        await self._turn()
        stored = self._enterprises.get((township, enterprise_id))
        return self._remember(copy.deepcopy(stored.enterprise), stored) if stored else None

    def _stored(self, enterprise: Enterprise) -> tuple[_Stored, _Versions]:
        if enterprise not in self._loaded:
            raise ValueError(f"enterprise {enterprise.enterprise_id} was not loaded by this repository")
        return self._enterprises[(enterprise.township, enterprise.enterprise_id)], self._loaded[enterprise]

    async def save_assignments(self, enterprise: Enterprise) -> bool:
        return await self.save_changes(enterprise, (), None)

    async def save_changes(self, enterprise: Enterprise, happened: Sequence[Payload], at: Optional[datetime]) -> bool:
        await self._turn()
        stored, read = self._stored(enterprise)
        if read.version != stored.version:
            return False
        for name in r.EDITABLE:
            setattr(stored.enterprise, name, copy.deepcopy(getattr(enterprise, name)))
        self.published += [(enterprise.township, p, at) for p in happened]
        stored.version += 1
        self._remember(enterprise, stored)
        return True

    # --- the visit log: reserve, then store ------------------------------------------------------------------

    async def add_visit(self, enterprise: Enterprise, visit: Visit, happened: Sequence[Payload]) -> bool:
        await self._turn()
        stored, read = self._stored(enterprise)
        if read.guard_version != stored.guard_version:
            return False
        past = visit.as_past()
        stored.enterprise.visit_log.append(past)
        if visit.plan_id:  # its plan is done with it, in the same reservation
            stored.enterprise.plans = list(enterprise.plans)
        stored.last_visit = max(filter(None, [stored.last_visit, past]), key=lambda p: (p.visited_on, p.visit_id))
        stored.pending[visit.visit_id] = (visit, list(happened))
        stored.guard_version += 1
        self._remember(enterprise, stored)
        await self.store_reserved(visit.township, visit.enterprise_id, visit)
        return True

    async def store_reserved(self, township: str, enterprise_id: str, visit: Visit) -> bool:
        """Store a reserved visit and publish its events (a test replaces this to kill the request in between)."""
        await self._turn()
        stored = self._enterprises[(township, enterprise_id)]
        reserved = stored.pending.pop(visit.visit_id, None)
        if (township, visit.visit_id) in self._visits:
            return False
        self._visits[(township, visit.visit_id)] = visit
        self.published += [(township, p, visit.logged_at) for p in (reserved[1] if reserved else [visit.logged()])]
        return True

    def pending(self, township: str, enterprise_id: str) -> list[str]:
        """The visits reserved on an enterprise and not stored yet (for tests)."""
        return list(self._enterprises[(township, enterprise_id)].pending)

    async def finish_logged(self, enterprise: Enterprise, visit_id: str) -> Optional[Visit]:
        await self._turn()
        stored, _ = self._stored(enterprise)
        if visit_id in stored.pending:
            visit = stored.pending[visit_id][0]
            await self.store_reserved(enterprise.township, enterprise.enterprise_id, visit)
            return visit
        return self._visits.get((enterprise.township, visit_id))

    async def finish_interrupted(self, before: datetime, enterprise: Optional[Enterprise] = None) -> int:
        await self._turn()
        if enterprise is not None:
            everyone = [self._stored(enterprise)[0]]
        else:
            everyone = list(self._enterprises.values())
        stored = 0
        for s in everyone:
            for visit, _ in list(s.pending.values()):
                if visit.logged_at < before:
                    stored += await self.store_reserved(s.enterprise.township, s.enterprise.enterprise_id, visit)
        return stored

    async def visit(self, township: str, visit_id: str) -> Optional[Visit]:
        await self._turn()
        return self._visits.get((township, visit_id))

    # --- planned visits, on the enterprise -------------------------------------------------------------------

    async def save_plans(self, enterprise: Enterprise, happened: Sequence[Payload], at: datetime) -> bool:
        await self._turn()
        stored, read = self._stored(enterprise)
        if read.guard_version != stored.guard_version:
            return False
        stored.enterprise.plans = list(enterprise.plans)
        for name in ("history", "recorded_by", "recorded_at"):
            setattr(stored.enterprise, name, copy.deepcopy(getattr(enterprise, name)))
        stored.guard_version += 1
        self.published += [(enterprise.township, p, at) for p in happened]
        self._remember(enterprise, stored)
        return True

    async def enterprise_of_plan(self, township: str, plan_id: str) -> Optional[str]:
        await self._turn()
        return next((s.enterprise.enterprise_id for s in self._of(township) if any(p.plan_id == plan_id for p in s.enterprise.plans)), None)

    async def plans(self, township: str) -> list[tuple[Enterprise, Plan]]:
        await self._turn()
        return [(copy.deepcopy(s.enterprise), p) for s in self._of(township) for p in s.enterprise.plans]

    # --- campaigns ---------------------------------------------------------------------------------------------

    async def add_campaign(self, campaign: Campaign, happened: Sequence[Payload], at: datetime) -> None:
        await self._turn()
        k = (campaign.township, campaign.campaign_id)
        if k in self._campaigns:
            raise r.AlreadyExists(copy.deepcopy(self._campaigns[k][0]))
        self._campaigns[k] = (copy.deepcopy(campaign), 1)
        self._campaign_versions[campaign] = 1
        self.published += [(campaign.township, p, at) for p in happened]

    async def campaign(self, township: str, campaign_id: str) -> Optional[Campaign]:
        await self._turn()
        if (township, campaign_id) not in self._campaigns:
            return None
        stored, version = self._campaigns[(township, campaign_id)]
        found = copy.deepcopy(stored)
        self._campaign_versions[found] = version
        return found

    async def save_campaign(self, campaign: Campaign, happened: Sequence[Payload], at: datetime) -> bool:
        await self._turn()
        k = (campaign.township, campaign.campaign_id)
        if self._campaigns[k][1] != self._campaign_versions[campaign]:
            return False
        self._campaigns[k] = (copy.deepcopy(campaign), self._campaigns[k][1] + 1)
        self._campaign_versions[campaign] = self._campaigns[k][1]
        self.published += [(campaign.township, p, at) for p in happened]
        return True

    async def campaigns(self, township: str) -> list[Campaign]:
        await self._turn()
        return [copy.deepcopy(c) for (t, cid), (c, _) in sorted(self._campaigns.items()) if t == township]

    # --- reads for the list endpoints ------------------------------------------------------------------------

    def _of(self, township: str) -> list[_Stored]:
        return sorted((s for (t, _), s in self._enterprises.items() if t == township), key=lambda s: s.enterprise.enterprise_id)

    async def listed(self, township: str) -> list[r.Listed]:
        await self._turn()
        return [r.Listed(r.shown(s.enterprise), list(s.enterprise.assignments), s.last_visit) for s in self._of(township)]

    async def assigned_to(self, official_id: str, township: Optional[str] = None) -> list[r.Listed]:
        await self._turn()
        found = sorted(self._enterprises.items())
        return [r.Listed(r.shown(s.enterprise), list(s.enterprise.assignments), s.last_visit) for (t, _), s in found
                if (township is None or t == township) and any(a.official_id == official_id for a in s.enterprise.assignments)]

    async def issue_states(self, township: str, enterprise_ids: list[str]) -> list[dict[str, Any]]:
        await self._turn()
        return [s for s in self.issues.values() if s["township"] == township and s["enterprise_id"] in enterprise_ids]

    async def with_logs(self, township: str) -> list[Enterprise]:
        await self._turn()
        return [copy.deepcopy(s.enterprise) for s in self._of(township)]

    async def visits(
        self, township: str, enterprise_id: Optional[str] = None, start: Optional[str] = None, end: Optional[str] = None
    ) -> list[dict[str, Any]]:
        await self._turn()
        found = [
            v for (t, _), v in self._visits.items()
            if t == township and (not enterprise_id or v.enterprise_id == enterprise_id)
            and (not start or v.visited_on >= date.fromisoformat(start)) and (not end or v.visited_on <= date.fromisoformat(end))
        ]
        found.sort(key=lambda v: v.visit_id)
        found.sort(key=lambda v: v.visited_on, reverse=True)
        return [r.shown(v) for v in found]

    async def visit_shown(self, township: str, visit_id: str) -> Optional[dict[str, Any]]:
        visit = await self.visit(township, visit_id)
        return r.shown(visit) if visit else None

    # --- township settings and the registry ------------------------------------------------------------------

    async def contact_warning(self, enterprise_id: str, planned_on: date, plan_id: str) -> Optional[dict[str, Any]]:
        """The contact budget's warning on the projected contacts (`contacts_doc`: enterprise_id → its contacts
        document, as visits/contacts.py projects it) and `contact_budget`."""
        from visits import contacts
        doc = self.contacts_docs.get(enterprise_id, {"_id": enterprise_id})
        return contacts.warning(contacts.count(doc, contacts.month_of(planned_on)), self.contact_budget, planned_on, plan_id)

    async def quiet_days(self, township: str) -> int:
        await self._turn()
        return self._quiet.get(township, DEFAULT_QUIET_DAYS)

    async def set_quiet_days(self, township: str, days: int, by: Optional[str] = None, at: Optional[datetime] = None) -> None:
        self._quiet[township] = days
        stamp = {"recorded_by": by, "recorded_at": at.isoformat() if at else None}
        self._settings.setdefault(township, {"history": []}).update(stamp)
        self._settings[township]["history"].append({"quiet_period_days": days, **stamp})

    async def settings(self, township: str) -> dict[str, Any]:
        kept = self._settings.get(township, {"history": []})
        return {"quiet_period_days": await self.quiet_days(township), "recorded_by": kept.get("recorded_by"),
                "recorded_at": kept.get("recorded_at"), "history": list(kept["history"])}

    async def seed_townships(self, at: datetime) -> None:
        for township, name in SEED_TOWNSHIPS.items():
            if township not in self._townships:
                self._townships[township] = {"township": township, "name": name, "county": SEED_COUNTY}
                self.published.append((township, TownshipRegistered(township_id=township, name=name, county=SEED_COUNTY), at))

    async def townships(self) -> list[dict[str, Any]]:
        return [dict(self._townships[t]) for t in sorted(self._townships)]

    async def township(self, township: str) -> Optional[dict[str, Any]]:
        found = self._townships.get(township)
        return dict(found) if found else None

    async def put_township(self, township: str, name: str, county: str, by: Optional[str], at: datetime) -> dict[str, Any]:
        self._townships[township] = {"township": township, "name": name, "county": county, "recorded_by": by,
                                     "recorded_at": at.isoformat()}
        self.published.append((township, TownshipRegistered(township_id=township, name=name, county=county), at))
        return dict(self._townships[township])
