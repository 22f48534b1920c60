"""The repository as a mapper, on a recording stand-in for the database: the stored document's shape (which the
reliability and e2e tests, the console and the relay read), one insert with the outbox, and every change one
update_one by `_id` compare-and-set on the version, pushing the history entries and the outbox entries."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from pymongo.errors import DuplicateKeyError

from buildingblocks.clock import FixedClock
from contracts.enums import IssueSource, Level, Outcome
from issues.calendar import WorkCalendar, builtin_schedules
from issues.domain import Issue
from issues.domain.rules import Rules
from issues.repository import Repository, issue_from, state, view

AT = FixedClock(date(2026, 3, 16)).now()
CAL = WorkCalendar(builtin_schedules())
E1 = "91330782MA2ABCD13A"
STORED = {"_id", "township", "issue_id", "enterprise_id", "source", "visit_id", "category", "description",
          "responsible_unit", "raised_on", "deadline", "deadline_provisional", "deadline_rule", "deadline_anchor",
          "origin", "status", "level", "closed_on", "outcome", "resolution", "satisfaction", "history", "version",
          "outbox", "outbox_unsent", "kind", "unit_id", "unit_registered", "routing", "assigned_on", "acknowledged_on",
          "co_units", "co_unit_ids", "progress", "extension_requests", "follow_ups", "external_id", "source_system"}


@dataclass
class Updated:
    modified_count: int


class Recorder:
    """One collection: inserts once by `_id`, answers an update whose filter matches the stored version."""

    def __init__(self):
        self.docs, self.inserts, self.updates = {}, [], []

    async def insert_one(self, doc):
        self.inserts.append(doc)
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("E11000")
        self.docs[doc["_id"]] = doc

    async def update_one(self, query, update):
        self.updates.append((query, update))
        doc = self.docs.get(query["_id"])
        return Updated(1 if doc is not None and doc["version"] == query["version"] else 0)


class Db(dict):
    def __missing__(self, name):
        self[name] = Recorder()
        return self[name]


def new_issue(**extra) -> Issue:
    return Issue.raise_("dacheng", "i-1", enterprise_id=E1, category="labour", description="缺焊工", source="visit",
                        raised_on=date(2026, 3, 2), by="intake:visit", at=AT, calendar=CAL, rules=Rules(),
                        visit_id="v-1", origin={"visit_id": "v-1", "demand_id": "d-1", "event_id": "e-1"}, **extra)


async def test_a_new_issue_is_one_insert_with_its_event_in_the_outbox_and_the_stored_shape():
    db = Db()
    issue = new_issue()
    assert await Repository(db).add(issue)
    [doc] = db["issues"].inserts
    assert set(doc) == STORED and doc["_id"] == "dacheng:i-1" and doc["version"] == 1
    assert doc["deadline"] == "2026-03-16" and doc["source"] == "visit" and doc["level"] == "none"
    [entry] = doc["outbox"]
    assert doc["outbox_unsent"] == [entry["id"]] and entry["topic"] == "issues.v1" and entry["key"] == E1
    event = json.loads(entry["value"])
    assert event["type"] == "IssueRaised" and event["subject"] == "i-1" and event["township"] == "dacheng"
    assert event["source"] == "/townships/dacheng/issues" and event["time"] == "2026-03-16T09:00:00+08:00"
    assert issue.version == 1 and issue.changes == []


async def test_a_second_insert_of_the_same_issue_is_refused_and_a_request_fingerprint_is_kept_hidden():
    db = Db()
    assert await Repository(db).add(new_issue(request="abc"))
    assert not await Repository(db).add(new_issue(request="abc"))
    doc = db["issues"].docs["dacheng:i-1"]
    assert doc["request_hash"] == "abc" and issue_from(doc).request == "abc"
    assert "request_hash" not in view(issue_from(doc))


async def test_a_change_is_one_update_by_id_and_version_pushing_history_and_outbox():
    db = Db()
    repo = Repository(db)
    issue = new_issue()
    await repo.add(issue)
    issue.assign("县人社局", on=date(2026, 3, 3), reason="", by="张三", at=AT)
    issue.close(on=date(2026, 3, 10), outcome=Outcome.resolved, resolution="招聘会", satisfaction=None, by="张三", at=AT)
    assert await repo.save(issue)
    [(query, update)] = db["issues"].updates
    assert query == {"_id": "dacheng:i-1", "version": 1}
    assert update["$inc"] == {"version": 1}
    assert [h["action"] for h in update["$push"]["history"]["$each"]] == ["assigned", "closed"]
    entries = update["$push"]["outbox"]["$each"]
    assert [json.loads(e["value"])["type"] for e in entries] == ["IssueAssigned", "IssueClosed"]
    assert update["$push"]["outbox_unsent"]["$each"] == [e["id"] for e in entries]
    assert update["$set"]["status"] == "closed" and update["$set"]["responsible_unit"] == "县人社局"
    assert "history" not in update["$set"] and "version" not in update["$set"]
    assert issue.version == 2 and issue.changes == []


async def test_a_change_on_a_version_moved_meanwhile_writes_nothing_and_says_so():
    db = Db()
    repo = Repository(db)
    issue = new_issue()
    await repo.add(issue)
    db["issues"].docs["dacheng:i-1"]["version"] = 2  # another replica's change
    issue.assign("县人社局", on=date(2026, 3, 3), reason="", by="张三", at=AT)
    assert not await repo.save(issue)
    assert issue.version == 1 and len(issue.changes) == 1


def test_state_and_back_is_the_same_issue_and_overdue_days_appear_with_the_first_escalation():
    issue = new_issue()
    assert "overdue_working_days" not in state(issue)
    issue.escalate(on=date(2026, 3, 18), calendar=CAL, rules=Rules(), at=AT)
    doc = {**state(issue), "version": 3}
    back = issue_from(doc)
    assert state(back) == state(issue) and back.version == 3
    assert (back.level, back.overdue_working_days, back.source) == (Level.yellow, 2, IssueSource.visit)
    assert isinstance(back.raised_on, date) and not isinstance(back.raised_on, datetime)


async def test_a_townships_settings_holding_only_its_routing_are_the_default_rules():
    class Settings:
        async def find_one(self, query):
            return {"_id": query["_id"], "routing": {"labour": "dacheng-rss"}}  # routing saved, rules never

    db = Db()
    db["township_settings"] = Settings()
    repo = Repository(db)
    assert await repo.rules("dacheng") == Rules() and await repo.routing("dacheng") == {"labour": "dacheng-rss"}
