"""The issues repository in memory, for every rule of the handlers without a server.

It keeps what the real one keeps, mapped the same way (`repository.state` / `issue_from`): one record per issue at
a version, a change stored only if the issue is still at the version it was read at, and the events of each
stored change in order (what the outbox would hold)."""
from __future__ import annotations

import copy
from typing import Any, Callable, Optional

from contracts.events import Payload
from issues.domain import OPEN, SLA, Issue
from issues.domain.calendar import YearSchedule, parse_schedule
from issues.domain.rules import Rules
from issues.repository import REQUEST, UNIT_FIELDS, issue_from, state, visible


class FakeRepository:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.published: list[tuple[str, Payload]] = []  # (township, event) of every stored change, in order
        self.township_rules: dict[str, Rules] = {}
        self.rules_history: dict[str, list] = {}
        self.saved_schedules: dict[int, dict[str, Any]] = {}
        self.version_of_calendar = 0
        self.unit_docs: dict[str, dict[str, Any]] = {}
        self.township_routing: dict[str, dict[str, Optional[str]]] = {}
        self.routing_history: dict[str, list[dict[str, Any]]] = {}
        # Called before each save with the issue's key: lets a test change the issue "meanwhile".
        self.meanwhile: Optional[Callable[[tuple[str, str]], None]] = None

    def events(self, kind: type[Payload] | None = None) -> list[Payload]:
        return [e for _, e in self.published if kind is None or isinstance(e, kind)]

    # ------------------------------------------------------------------------------------------ the aggregate

    async def add(self, issue: Issue) -> bool:
        key = (issue.township, issue.issue_id)
        if key in self.docs:
            return False
        doc = {**state(issue), "version": 1}
        if issue.request is not None:
            doc[REQUEST] = issue.request
        self.docs[key] = copy.deepcopy(doc)
        self.published += [(issue.township, e) for e in issue.events]
        issue.version, issue.changes = 1, []
        return True

    async def get(self, township: str, issue_id: str) -> Optional[Issue]:
        doc = self.docs.get((township, issue_id))
        return issue_from(copy.deepcopy(doc)) if doc else None

    async def save(self, issue: Issue) -> bool:
        key = (issue.township, issue.issue_id)
        if not issue.changes:
            return True
        if self.meanwhile:
            self.meanwhile(key)
        stored = self.docs[key]
        if stored["version"] != issue.version:
            return False
        self.docs[key] = copy.deepcopy({**stored, **state(issue), "version": issue.version + 1})
        self.published += [(issue.township, e) for e in issue.events]
        issue.version, issue.changes = issue.version + 1, []
        return True

    def _sorted(self, keep: Callable[[dict], bool]) -> list[Issue]:
        docs = sorted((d for d in self.docs.values() if keep(d)), key=lambda d: (d["raised_on"], d["issue_id"]))
        return [issue_from(copy.deepcopy(d)) for d in docs]

    async def open_issues(self, township: str) -> list[Issue]:
        return self._sorted(lambda d: d["township"] == township and d["status"] == OPEN)

    async def provisional_sla_deadlines(self) -> list[Issue]:
        return self._sorted(lambda d: d["status"] == OPEN and d["deadline_provisional"] and d["deadline_rule"] == SLA)

    async def townships(self) -> list[str]:
        return sorted({d["township"] for d in self.docs.values() if d["status"] == OPEN})

    async def ledger(self, township: Optional[str], *, status=None, enterprise_id=None, overdue_on=None, level=None,
                     responsible_unit=None, provisional=False, kind=None, routing=None,
                     unit_id=None) -> list[dict[str, Any]]:
        def keep(d: dict) -> bool:
            return ((township is None or d["township"] == township) and (not status or d["status"] == status)
                    and (not enterprise_id or d["enterprise_id"] == enterprise_id)
                    and (not overdue_on or (d["status"] == OPEN and d["deadline"] < overdue_on.isoformat()))
                    and (not level or d["level"] == level.value)
                    and (not responsible_unit or d["responsible_unit"] == responsible_unit)
                    and (not provisional or d["deadline_provisional"] is True)
                    and (not kind or d["kind"] == kind) and (not routing or d["routing"] == routing)
                    and (not unit_id or d["unit_id"] == unit_id))

        docs = sorted((d for d in self.docs.values() if keep(d)), key=lambda d: (d["raised_on"], d["issue_id"]))
        return [visible(copy.deepcopy(d), "history") for d in docs]

    async def shown(self, township: str, issue_id: str) -> Optional[dict[str, Any]]:
        doc = self.docs.get((township, issue_id))
        return visible(copy.deepcopy(doc)) if doc else None

    async def unit_queue(self, unit_id: str, *, township=None, status=None) -> list[dict[str, Any]]:
        docs = sorted((d for d in self.docs.values() if (d["unit_id"] == unit_id or unit_id in d["co_unit_ids"])
                       and (township is None or d["township"] == township) and (not status or d["status"] == status)),
                      key=lambda d: (d["raised_on"], d["issue_id"]))
        return [visible(copy.deepcopy(d), "history") for d in docs]

    # ------------------------------------------------------------------------------------ units and routing

    async def unit(self, unit_id: str) -> Optional[dict[str, Any]]:
        return copy.deepcopy(self.unit_docs.get(unit_id))

    async def units(self, townships: list[str]) -> list[dict[str, Any]]:
        return sorted((copy.deepcopy(u) for u in self.unit_docs.values() if u["township"] in townships),
                      key=lambda u: (u["township"], u["unit_id"]))

    async def put_unit(self, unit: dict[str, Any], event: Payload, at: Any) -> bool:
        stored = self.unit_docs.get(unit["unit_id"])
        if stored is not None and stored["township"] != unit["township"]:
            return False
        self.unit_docs[unit["unit_id"]] = {k: unit.get(k) for k in UNIT_FIELDS}
        self.published.append((unit["township"], event))
        return True

    async def routing(self, township: str) -> dict[str, Optional[str]]:
        return dict(self.township_routing.get(township, {}))

    async def set_routing(self, township: str, routing: dict[str, Optional[str]], by: Optional[str] = None,
                          at: Optional[str] = None) -> None:
        self.township_routing[township] = dict(routing)
        self.routing_history.setdefault(township, []).append({"routing": dict(routing), "by": by, "at": at})

    # ------------------------------------------------------------------------------- township rules, calendar

    async def rules(self, township: str) -> Rules:
        return self.township_rules.get(township, Rules())

    async def set_rules(self, township: str, rules: Rules, by=None, at=None) -> None:
        self.township_rules[township] = rules
        self.rules_history.setdefault(township, []).append({"rules": rules.model_dump(mode="json"), "recorded_by": by,
                                                            "recorded_at": at})

    async def rules_recorded(self, township: str) -> dict:
        history = self.rules_history.get(township, [])
        last = history[-1] if history else {}
        return {"recorded_by": last.get("recorded_by"), "recorded_at": last.get("recorded_at"), "history": list(history)}

    async def schedules(self) -> dict[int, YearSchedule]:
        return {year: parse_schedule(data) for year, data in self.saved_schedules.items()}

    async def save_schedule(self, year: int, data: dict[str, Any], by=None, at=None) -> None:
        self.saved_schedules[year] = data
        self.version_of_calendar += 1

    async def calendar_version(self) -> int:
        return self.version_of_calendar
