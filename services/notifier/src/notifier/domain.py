"""The notifier's rules, without I/O: which notices an event makes, their ids, quiet hours, backoff, the 督办单's
number and the digest's week. Every function here is unit-tested with plain values (tests/unit/notifier)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.envelope import CHINA

Kind = Literal["new_issue", "reminder", "supervision", "digest"]
Status = Literal["pending", "held", "sent", "failed"]
Channel = Literal["webhook", "sms", "email"]
KINDS = ("new_issue", "reminder", "supervision", "digest")
STATUSES = ("pending", "held", "sent", "failed")
LEVEL_NAMES = {"blue": "蓝色", "yellow": "黄色", "red": "红色"}
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


# ---- configuration: who gets notices, and how (the API's bodies) ----

class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://", description="the group robot's webhook address")
    format: Literal["wecom", "dingtalk"] = Field(description="企业微信 or 钉钉 group-robot JSON")
    msgtype: Literal["markdown", "text"] = "markdown"


PHONE = r"^\+?[0-9]{5,20}$"
EMAIL = r"^[^@\s]+@[^@\s]+$"


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=100)
    webhook: Optional[Webhook] = None
    sms: list[str] = Field(default_factory=list, max_length=10)
    email: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("sms")
    @classmethod
    def _phones(cls, phones: list[str]) -> list[str]:
        for p in phones:
            if not re.match(PHONE, p):
                raise ValueError(f"{p!r} is not a phone number (digits, optionally a leading +)")
        return phones

    @field_validator("email")
    @classmethod
    def _emails(cls, addrs: list[str]) -> list[str]:
        for a in addrs:
            if not re.match(EMAIL, a):
                raise ValueError(f"{a!r} is not an e-mail address")
        return addrs


class UnitRecipients(Person):
    """A unit's channels (its group robot, the duty phone, the office mailbox) and its head's, for 督办单."""
    head: Optional[Person] = None


class Recorded(BaseModel):
    """Who set a configuration last (the token's name) and when: on what the API shows, never in a body."""
    recorded_by: Optional[str] = None
    recorded_at: Optional[datetime] = None


class UnitRecipientsShown(UnitRecipients, Recorded):
    pass


class PersonShown(Person, Recorded):
    pass


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give the time as HH:MM, China time, without an offset")
    return value


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time = Field(description="HH:MM, China time; notices due from then are held")
    end: time = Field(description="HH:MM; held notices go out then (start > end spans midnight)")

    @field_validator("start", "end")
    @classmethod
    def _china_time(cls, value: time) -> time:
        return _local(value)


class NoticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quiet_hours: Optional[QuietHours] = QuietHours(start=time(22, 0), end=time(7, 30))
    digest_weekday: int = Field(1, ge=1, le=7, description="ISO weekday of the weekly digest, 1 = Monday")
    digest_time: time = Field(time(8, 30), description="HH:MM, China time, of the weekly digest")

    @field_validator("digest_time")
    @classmethod
    def _china_time(cls, value: time) -> time:
        return _local(value)


class NoticeSettingsShown(NoticeSettings, Recorded):
    pass


# ---- ids, numbers and times ----

def notice_id(source: str, recipient: str, channel: str, address: str) -> str:
    """One notice per event (or digest week), recipient and address: redelivery and restarts make the same id."""
    raw = "\x1f".join((source, recipient, channel, address)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def supervision_number(year: int, seq: int) -> str:
    return f"督〔{year}〕{seq}号"


def parse_number(text: str) -> Optional[tuple[int, int]]:
    """督〔2026〕7号 or 2026-7 → (2026, 7)."""
    m = re.fullmatch(r"督〔(\d{4})〕(\d+)号", text) or re.fullmatch(r"(\d{4})-(\d+)", text)
    return (int(m[1]), int(m[2])) if m else None


def in_quiet_hours(at: datetime, quiet: Optional[QuietHours]) -> Optional[datetime]:
    """None if `at` is outside quiet hours; else when they end (China time)."""
    if quiet is None or quiet.start == quiet.end:
        return None
    local = at.astimezone(CHINA)
    t = local.time().replace(tzinfo=None)
    end_today = datetime.combine(local.date(), quiet.end, CHINA)
    if quiet.start < quiet.end:  # within one day, e.g. 12:00-13:30
        return end_today if quiet.start <= t < quiet.end else None
    if t >= quiet.start:  # spans midnight: evening part, ends tomorrow
        return end_today + timedelta(days=1)
    if t < quiet.end:  # early-morning part, ends today
        return end_today
    return None


def backoff(attempts: int, base_s: float, max_s: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2·base, 4·base, … capped."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), max_s))


def digest_week(at: datetime, weekday: int, at_time: time) -> Optional[str]:
    """The ISO week (2026-W49) whose digest is due at `at`, or None before this week's digest time."""
    local = at.astimezone(CHINA)
    year, week, today = local.isocalendar()
    monday = local.date() - timedelta(days=today - 1)
    due = datetime.combine(monday + timedelta(days=weekday - 1), at_time, CHINA)
    return f"{year}-W{week:02d}" if local >= due else None


def working_days_overdue(value: Optional[int]) -> int:
    return max(int(value or 0), 0)


# ---- what a notice says ----

@dataclass(frozen=True)
class Message:
    title: str
    lines: tuple[str, ...]

    def text(self) -> str:
        return "\n".join((f"【{self.title}】", *self.lines))

    def markdown(self) -> str:
        return "\n".join((f"### {self.title}", *(f"> {line}" for line in self.lines)))


def new_issue_message(issue: dict[str, Any], rerouted: bool) -> Message:
    what = "改派" if rerouted else "新交办"
    lines = [f"编号：{issue['issue_id']}", f"{_subject_label(issue)}：{_subject(issue)}",
             f"诉求：{issue.get('description') or ''}", f"办理时限：{issue.get('deadline') or '未定'}",
             "请及时签收办理。"]
    return Message(f"{what}问题（{issue.get('unit_name') or issue.get('unit_id') or ''}）", tuple(lines))


def reminder_message(issue: dict[str, Any], deadline: str) -> Message:
    lines = [f"编号：{issue['issue_id']}", f"{_subject_label(issue)}：{_subject(issue)}",
             f"诉求：{issue.get('description') or ''}", f"办理时限：{deadline}，即将到期，请抓紧办理。"]
    return Message("蓝色预警：问题即将到期", tuple(lines))


def supervision_message(sheet: dict[str, Any]) -> Message:
    lines = [f"{_subject_label(sheet)}：{sheet['enterprise']}", f"诉求：{sheet['demand']}",
             f"办理时限：{sheet['deadline']}（已超期 {sheet['working_days_overdue']} 个工作日）",
             f"责任单位：{sheet['unit']}", f"包抓领导：{'、'.join(sheet['leaders']) or '无'}",
             f"督办等级：{LEVEL_NAMES.get(sheet['level'], sheet['level'])}", "请于收到后限期办结并反馈。"]
    return Message(f"督办单 {sheet['number']}", tuple(lines))


def digest_message(leader: str, week: str, items: list[dict[str, Any]]) -> Message:
    lines = [f"{leader}：您包抓企业本周未办结问题 {len(items)} 件。"]
    for item in items:
        level = LEVEL_NAMES.get(item.get("level") or "", "")
        lines.append(f"· {item.get('enterprise_name') or item.get('enterprise_id')}｜{item.get('description') or ''}"
                     f"｜时限 {item.get('deadline')}{('｜' + level) if level else ''}｜{item.get('unit_name') or ''}")
    return Message(f"包抓企业周报（{week}）", tuple(lines))


def _subject_label(doc: dict[str, Any]) -> str:
    return "对象" if doc.get("kind") == "finding" else "企业"


def _subject(issue: dict[str, Any]) -> str:
    return issue.get("enterprise_name") or issue.get("subject_name") or issue.get("enterprise_id") or ""


# ---- who gets one notice ----

@dataclass(frozen=True)
class Address:
    recipient: str  # "unit:c-rsj", "head:c-rsj", "official:c-1"
    name: str
    channel: Channel
    address: str  # the webhook URL, the phone, the e-mail address
    format: Optional[str] = None  # webhook: "wecom:markdown", "dingtalk:text", …


def addresses(recipient: str, name: str, person: Optional[Person]) -> list[Address]:
    if person is None:
        return []
    found = []
    if person.webhook is not None:
        found.append(Address(recipient, name, "webhook", person.webhook.url,
                             f"{person.webhook.format}:{person.webhook.msgtype}"))
    found += [Address(recipient, name, "sms", phone) for phone in person.sms]
    found += [Address(recipient, name, "email", addr) for addr in person.email]
    return found


@dataclass
class Notice:
    """A notice to write (status pending) before anything is sent."""
    notice_id: str
    kind: Kind
    township: Optional[str]
    issue_id: Optional[str]
    number: Optional[str]
    source: str  # the event id, or digest:<leader>:<week>
    to: Address
    message: Message
    created_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def notices_for(kind: Kind, source: str, township: Optional[str], issue_id: Optional[str], number: Optional[str],
                to: list[Address], message: Message, now: datetime) -> list[Notice]:
    seen, made = set(), []
    for a in to:
        nid = notice_id(source, a.recipient, a.channel, a.address)
        if nid in seen:  # the same person configured twice over the same address: one notice
            continue
        seen.add(nid)
        made.append(Notice(nid, kind, township, issue_id, number, source, a, message, now))
    return made
