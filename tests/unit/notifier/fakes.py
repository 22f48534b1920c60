"""The notifier's Store in memory: the same methods, the same once-only rules (ids, numbers, digests)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from notifier.domain import Notice, NoticeSettings, Person, UnitRecipients, supervision_number
from notifier.store import OPEN, _notice_doc, item_key


class FakeStore:
    def __init__(self):
        self.units: dict[str, dict] = {}
        self.enterprises: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.recipients: dict[str, dict] = {}
        self.config: Optional[NoticeSettings] = None
        self.counters: dict[int, int] = {}
        self.numbers: dict[str, str] = {}
        self.sheets: dict[str, dict] = {}
        self.stamps: dict[tuple[str, str], dict] = {}  # (collection, key) → who set it last, and when
        self.docs: dict[str, dict] = {}
        self.digests: dict[str, dict] = {}

    async def put_unit(self, unit_id, township, fields):
        self.units.setdefault(unit_id, {"_id": unit_id}).update(fields, township=township)

    async def unit(self, unit_id):
        return self.units.get(unit_id) if unit_id else None

    async def put_enterprise(self, enterprise_id, township, name, officials):
        self.enterprises[item_key(township, enterprise_id)] = {
            "_id": item_key(township, enterprise_id), "enterprise_id": enterprise_id, "name": name,
            "township": township, "officials": officials}

    async def enterprise(self, township, enterprise_id):
        return self.enterprises.get(item_key(township, enterprise_id)) if enterprise_id else None

    async def enterprises_with_officials(self):
        return [e for e in self.enterprises.values() if e["officials"]]

    async def put_item(self, township, issue_id, fields):
        doc = self.items.setdefault(item_key(township, issue_id), {})
        doc.update(fields, township=township, issue_id=issue_id)

    async def item(self, township, issue_id):
        return self.items.get(item_key(township, issue_id))

    async def open_items(self):
        return sorted((i for i in self.items.values() if i.get("status") == OPEN), key=lambda i: i.get("deadline"))

    async def unit_recipients(self, unit_id):
        c = self.recipients.get(f"unit:{unit_id}")
        return UnitRecipients.model_validate(c) if c else None

    async def official_recipients(self, official_id):
        c = self.recipients.get(f"official:{official_id}")
        return Person.model_validate(c) if c else None

    async def put_recipients(self, key, config, by, at):
        self.recipients[key] = config
        self.stamps[("recipients", key)] = {"recorded_by": by, "recorded_at": at}

    async def configured(self, collection, key):
        if collection == "settings":
            config = self.config.model_dump(mode="json") if self.config else None
        else:
            config = self.recipients.get(key)
        return None if config is None else {**config, **self.stamps.get((collection, key), {})}

    async def settings(self):
        return self.config or NoticeSettings()

    async def put_settings(self, config, by, at):
        self.config = config
        self.stamps[("settings", "notices")] = {"recorded_by": by, "recorded_at": at}

    async def number_for(self, event_id, year):
        if event_id not in self.numbers:
            self.counters[year] = self.counters.get(year, 0) + 1
            self.numbers[event_id] = supervision_number(year, self.counters[year])
        return self.numbers[event_id]

    async def put_supervision(self, sheet):
        self.sheets.setdefault(sheet["number"], dict(sheet))
        return dict(self.sheets[sheet["number"]])

    async def supervision(self, number):
        return dict(self.sheets[number]) if number in self.sheets else None

    async def add_notices(self, notices: list[Notice]) -> int:
        added = 0
        for n in notices:
            if n.notice_id not in self.docs:
                self.docs[n.notice_id] = _notice_doc(n)
                added += 1
        return added

    async def due(self, now: datetime, limit: int = 100):
        due = [d for d in self.docs.values() if d["status"] in ("pending", "held") and d["due_at"] <= now]
        return [dict(d) for d in sorted(due, key=lambda d: d["due_at"])[:limit]]

    def _open(self, notice_id):
        d = self.docs[notice_id]
        return d if d["status"] in ("pending", "held") else None

    async def hold(self, notice_id, until):
        if d := self._open(notice_id):
            d.update(status="held", due_at=until)

    async def sent(self, notice_id, at):
        if d := self._open(notice_id):
            d.update(status="sent", sent_at=at, due_at=None, attempts=d["attempts"] + 1)

    async def attempt_failed(self, notice_id, error, retry_at, at):
        if d := self._open(notice_id):
            d.update(last_error=error, last_attempt_at=at, status="pending" if retry_at else "failed",
                     due_at=retry_at, attempts=d["attempts"] + 1)

    async def notices(self, query: dict[str, Any], limit: int = 1000):
        found = [d for d in self.docs.values() if all(d.get(k) == v for k, v in query.items())]
        return sorted(found, key=lambda d: d["created_at"], reverse=True)[:limit]

    async def digest_done(self, week):
        return week in self.digests

    async def mark_digest(self, week, at, notices):
        self.digests.setdefault(week, {"made_at": at, "notices": notices})
