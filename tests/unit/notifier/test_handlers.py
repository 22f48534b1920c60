"""Events → notices, and the sender, on the fake store and a fixed clock: no server."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from buildingblocks.clock import FixedClock
from contracts.envelope import CHINA, new_event
from contracts.events import (EnterpriseRegistered, IssueAssigned, IssueClosed, IssueEscalated, IssueRaised,
                              UnitRegistered)
from notifier import handlers
from notifier.domain import NoticeSettings, QuietHours
from notifier.sender import Sender
from tests.unit.notifier.fakes import FakeStore

T = "dacheng"
E = "916104224JURQ2830K"


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=CHINA))  # Wednesday, 10:00


@pytest.fixture
def store():
    s = FakeStore()
    s.recipients["unit:c-rsj"] = {"webhook": {"url": "http://robot/rsj", "format": "wecom"},
                                  "sms": ["13800000001"], "email": ["rsj@county.cn"],
                                  "head": {"name": "李局长", "email": ["li@county.cn"]}}
    s.recipients["official:c-1"] = {"name": "王县长", "email": ["wang@county.cn"]}
    return s


def ev(payload, township=T, event_id=None):
    return new_event(payload, township=township, source="/test", event_id=event_id)


def raised(issue_id="iss-1", unit_id="c-rsj"):
    return IssueRaised(issue_id=issue_id, enterprise_id=E, source="visit", category="labour", description="招工难",
                       responsible_unit="县人社局", raised_on=date(2026, 11, 2), deadline=date(2026, 11, 20),
                       unit_id=unit_id)


def escalated(level, previous, issue_id="iss-1"):
    return IssueEscalated(issue_id=issue_id, enterprise_id=E, level=level, previous_level=previous,
                          on=date(2026, 12, 2), deadline=date(2026, 11, 20), overdue_working_days=8, unit_id="c-rsj")


async def registered(store, clock):
    await handlers.handle(store, ev(UnitRegistered(unit_id="c-rsj", name="县人社局", kind="county_department",
                                                   head="李局长"), township="county"), clock)
    await handlers.handle(store, ev(EnterpriseRegistered(
        enterprise_id=E, name="甲机械公司", category="industry", registered_on=date(2026, 1, 5),
        assigned_officials=[{"official_id": "c-1", "name": "王县长", "rank": "county"},
                            {"official_id": "c-2", "name": "赵副县长", "rank": "county"}])), clock)


async def test_a_new_issue_goes_to_its_unit_on_every_channel_once(store, clock):
    await registered(store, clock)
    event = ev(raised())
    made = await handlers.handle(store, event, clock)
    assert sorted((n.to.channel, n.to.address) for n in made) == [
        ("email", "rsj@county.cn"), ("sms", "13800000001"), ("webhook", "http://robot/rsj")]
    assert {n.kind for n in made} == {"new_issue"}
    assert "甲机械公司" in "\n".join(made[0].message.lines)
    await handlers.handle(store, event, clock)  # redelivered: the same ids, nothing new
    assert len(store.docs) == 3


async def test_an_unregistered_unit_gets_nothing_and_a_reassignment_notifies_the_new_unit(store, clock):
    await handlers.handle(store, ev(raised(unit_id=None)), clock)
    assert store.docs == {}
    made = await handlers.handle(store, ev(IssueAssigned(issue_id="iss-1", enterprise_id=E, responsible_unit="县人社局",
                                                         assigned_on=date(2026, 11, 3), unit_id="c-rsj")), clock)
    assert len(made) == 3 and made[0].message.title.startswith("改派")


async def test_a_reroute_to_a_free_text_unit_leaves_the_old_unit_unreminded(store, clock):
    await handlers.handle(store, ev(raised()), clock)
    await handlers.handle(store, ev(IssueAssigned(issue_id="iss-1", enterprise_id=E, responsible_unit="某合作社",
                                                  previous_unit="县人社局", assigned_on=date(2026, 11, 3),
                                                  previous_unit_id="c-rsj")), clock)
    blue = escalated("blue", "none").model_copy(update={"unit_id": None})
    assert await handlers.handle(store, ev(blue), clock) == []


async def test_blue_reminds_the_unit_and_yellow_and_red_issue_numbered_supervision_notices(store, clock):
    await registered(store, clock)
    await handlers.handle(store, ev(raised()), clock)
    blue = await handlers.handle(store, ev(escalated("blue", "none")), clock)
    assert {n.kind for n in blue} == {"reminder"} and len(blue) == 3
    yellow_event = ev(escalated("yellow", "blue"))
    yellow = await handlers.handle(store, yellow_event, clock)
    # the head's channels (not the unit's) and the 包抓 leader who has channels (c-2 has none)
    assert sorted((n.to.recipient, n.to.address) for n in yellow) == [
        ("head:c-rsj", "li@county.cn"), ("official:c-1", "wang@county.cn")]
    assert {n.number for n in yellow} == {"督〔2026〕1号"}
    sheet = await store.supervision("督〔2026〕1号")
    assert sheet["enterprise"] == "甲机械公司" and sheet["demand"] == "招工难" and sheet["deadline"] == "2026-11-20"
    assert sheet["working_days_overdue"] == 8 and sheet["unit"] == "县人社局" and sheet["leaders"] == ["王县长", "赵副县长"]
    again = await handlers.handle(store, yellow_event, clock)  # redelivered: the same number, the same notices
    assert {n.number for n in again} == {"督〔2026〕1号"} and len(store.docs) == 3 + 3 + 2
    red = await handlers.handle(store, ev(escalated("red", "yellow")), clock)
    assert {n.number for n in red} == {"督〔2026〕2号"}


async def test_the_weekly_digest_lists_each_leaders_open_items(store, clock):
    await registered(store, clock)
    await handlers.handle(store, ev(raised("iss-1")), clock)
    await handlers.handle(store, ev(raised("iss-2")), clock)
    await handlers.handle(store, ev(IssueClosed(issue_id="iss-2", enterprise_id=E, category="labour",
                                                raised_on=date(2026, 11, 2), deadline=date(2026, 11, 20),
                                                closed_on=date(2026, 11, 10), outcome="resolved", resolution="已招")),
                          clock)
    store.config = NoticeSettings(digest_weekday=3, digest_time=time(9, 0), quiet_hours=None)
    sender = Sender(store, Channels(), clock, Config())
    await sender.tick()
    digests = [d for d in store.docs.values() if d["kind"] == "digest"]
    assert [(d["recipient"], d["address"]) for d in digests] == [("official:c-1", "wang@county.cn")]
    assert "iss-1" not in "".join(digests[0]["lines"]) and "招工难" in "".join(digests[0]["lines"])
    assert "未办结问题 1 件" in digests[0]["lines"][0]
    await sender.tick()  # the same week: no second digest
    assert len([d for d in store.docs.values() if d["kind"] == "digest"]) == 1
    store.config = NoticeSettings(digest_weekday=1, digest_time=time(8, 0), quiet_hours=None)
    await sender.tick()  # the schedule changed mid-week: looked at again, and still one digest per leader and week
    assert len([d for d in store.docs.values() if d["kind"] == "digest"]) == 1 and len(store.digests) == 2


class Config:
    max_attempts, retry_base_s, retry_max_s = 4, 60.0, 600.0


class Channels:
    def __init__(self, down=()):
        self.down = set(down)
        self.delivered = []

    async def send(self, notice):
        if notice["channel"] in self.down:
            raise ConnectionError(f"{notice['channel']} receiver down")
        self.delivered.append(notice["notice_id"])


async def test_the_sender_retries_with_backoff_records_the_failure_and_delivers_once_back(store, clock):
    await registered(store, clock)
    await handlers.handle(store, ev(raised()), clock)
    store.config = NoticeSettings(quiet_hours=None, digest_weekday=7, digest_time=time(23, 0))
    channels = Channels(down={"webhook"})
    sender = Sender(store, channels, clock, Config())
    await sender.tick()
    webhook = next(d for d in store.docs.values() if d["channel"] == "webhook")
    assert webhook["status"] == "pending" and webhook["attempts"] == 1
    assert webhook["last_error"] == "ConnectionError: webhook receiver down"
    assert webhook["due_at"] == datetime(2026, 12, 2, 10, 1, tzinfo=CHINA)  # the first wait: 60 s
    assert len(channels.delivered) == 2
    await sender.tick()  # not due yet: nothing tried
    assert store.docs[webhook["notice_id"]]["attempts"] == 1
    clock.advance(minutes=1)
    await sender.tick()
    assert store.docs[webhook["notice_id"]]["attempts"] == 2
    assert store.docs[webhook["notice_id"]]["due_at"] == datetime(2026, 12, 2, 10, 3, tzinfo=CHINA)  # then 120 s
    channels.down.clear()
    clock.advance(minutes=2)
    await sender.tick()
    await sender.tick()
    assert store.docs[webhook["notice_id"]]["status"] == "sent" and store.docs[webhook["notice_id"]]["attempts"] == 3
    assert sorted(channels.delivered) == sorted(store.docs)  # each once


async def test_a_notice_fails_for_good_after_the_last_attempt(store, clock):
    await handlers.handle(store, ev(raised()), clock)
    store.config = NoticeSettings(quiet_hours=None, digest_weekday=7, digest_time=time(23, 0))
    sender = Sender(store, Channels(down={"webhook", "sms", "email"}), clock, Config())
    for _ in range(6):
        await sender.tick()
        clock.advance(minutes=10)
    assert {(d["status"], d["attempts"]) for d in store.docs.values()} == {("failed", 4)}


async def test_quiet_hours_hold_notices_until_they_end(store, clock):
    clock.at = datetime(2026, 12, 2, 22, 30, tzinfo=CHINA)
    await handlers.handle(store, ev(raised()), clock)
    store.config = NoticeSettings(quiet_hours=QuietHours(start=time(22, 0), end=time(7, 30)), digest_weekday=7,
                                  digest_time=time(23, 59))
    channels = Channels()
    sender = Sender(store, channels, clock, Config())
    await sender.tick()
    assert {(d["status"], d["due_at"]) for d in store.docs.values()} == {
        ("held", datetime(2026, 12, 3, 7, 30, tzinfo=CHINA))}
    clock.at = datetime(2026, 12, 3, 7, 0, tzinfo=CHINA)
    await sender.tick()
    assert channels.delivered == []
    clock.at = datetime(2026, 12, 3, 7, 30, tzinfo=CHINA)
    await sender.tick()
    assert len(channels.delivered) == 3 and {d["status"] for d in store.docs.values()} == {"sent"}


async def test_an_enterprise_on_two_townships_lists_has_each_townships_leaders(store, clock):
    store.recipients["official:x-9"] = {"name": "西阳镇长", "email": ["x9@county.cn"]}
    await registered(store, clock)
    await handlers.handle(store, ev(EnterpriseRegistered(
        enterprise_id=E, name="甲机械公司", category="industry", registered_on=date(2026, 1, 5),
        assigned_officials=[{"official_id": "x-9", "name": "西阳镇长", "rank": "township"}]), township="xiyang"), clock)
    await handlers.handle(store, ev(raised()), clock)
    yellow = await handlers.handle(store, ev(escalated("yellow", "blue")), clock)
    assert sorted(n.to.recipient for n in yellow) == ["head:c-rsj", "official:c-1"]
    assert (await store.supervision(yellow[0].number))["leaders"] == ["王县长", "赵副县长"]
