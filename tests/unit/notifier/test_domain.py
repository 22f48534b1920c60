"""The notifier's rules on plain values: ids, numbers, quiet hours, backoff, the digest's week, what is sent."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import docx
import pytest
from pydantic import ValidationError

from contracts.envelope import CHINA
from notifier import channels, domain
from notifier.document import supervision_docx

AT = datetime(2026, 12, 2, 10, 0, tzinfo=CHINA)  # a Wednesday


def test_notice_id_is_the_same_for_the_same_event_recipient_and_address_only():
    a = domain.notice_id("ev-1", "unit:c-rsj", "email", "a@x.cn")
    assert a == domain.notice_id("ev-1", "unit:c-rsj", "email", "a@x.cn")
    others = {domain.notice_id("ev-2", "unit:c-rsj", "email", "a@x.cn"),
              domain.notice_id("ev-1", "head:c-rsj", "email", "a@x.cn"),
              domain.notice_id("ev-1", "unit:c-rsj", "sms", "a@x.cn"),
              domain.notice_id("ev-1", "unit:c-rsj", "email", "b@x.cn")}
    assert a not in others and len(others) == 4


def test_supervision_numbers_read_both_ways():
    assert domain.supervision_number(2026, 7) == "督〔2026〕7号"
    assert domain.parse_number("督〔2026〕7号") == (2026, 7)
    assert domain.parse_number("2026-7") == (2026, 7)
    assert domain.parse_number("督2026-7") is None


@pytest.mark.parametrize("at, quiet, ends", [
    (time(23, 0), (time(22, 0), time(7, 30)), datetime(2026, 12, 3, 7, 30, tzinfo=CHINA)),
    (time(6, 0), (time(22, 0), time(7, 30)), datetime(2026, 12, 2, 7, 30, tzinfo=CHINA)),
    (time(7, 30), (time(22, 0), time(7, 30)), None),
    (time(21, 59), (time(22, 0), time(7, 30)), None),
    (time(12, 15), (time(12, 0), time(13, 30)), datetime(2026, 12, 2, 13, 30, tzinfo=CHINA)),
    (time(13, 30), (time(12, 0), time(13, 30)), None),
])
def test_quiet_hours_hold_until_they_end(at, quiet, ends):
    hours = domain.QuietHours(start=quiet[0], end=quiet[1])
    assert domain.in_quiet_hours(datetime.combine(AT.date(), at, CHINA), hours) == ends


def test_no_quiet_hours_hold_nothing():
    assert domain.in_quiet_hours(AT.replace(hour=23), None) is None


def test_backoff_doubles_and_is_capped():
    waits = [domain.backoff(n, 30, 600).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 600, 600]


def test_the_digest_week_begins_at_its_weekday_and_time():
    monday_8 = datetime(2026, 11, 30, 8, 0, tzinfo=CHINA)
    assert domain.digest_week(monday_8, 1, time(8, 30)) is None
    assert domain.digest_week(monday_8 + timedelta(minutes=30), 1, time(8, 30)) == "2026-W49"
    assert domain.digest_week(AT, 3, time(10, 0)) == "2026-W49"
    assert domain.digest_week(AT, 3, time(10, 1)) is None
    assert domain.digest_week(AT, 5, time(8, 0)) is None  # Friday's digest: not yet on Wednesday


def test_bad_addresses_are_refused_naming_the_field():
    with pytest.raises(ValidationError) as err:
        domain.UnitRecipients(sms=["13800000000", "call me"], email=["a@x.cn"])
    assert err.value.errors()[0]["loc"] == ("sms",)
    with pytest.raises(ValidationError) as err:
        domain.Person(webhook={"url": "ftp://x", "format": "wecom"})
    assert err.value.errors()[0]["loc"][:2] == ("webhook", "url")
    with pytest.raises(ValidationError):
        domain.Person(webhook={"url": "http://x", "format": "feishu"})


def test_a_person_gives_one_address_per_channel_entry():
    person = domain.Person(name="王局长", webhook={"url": "http://robot/x", "format": "dingtalk", "msgtype": "text"},
                           sms=["13800000000"], email=["a@x.cn", "b@x.cn"])
    found = domain.addresses("head:c-rsj", "王局长", person)
    assert [(a.channel, a.address) for a in found] == [
        ("webhook", "http://robot/x"), ("sms", "13800000000"), ("email", "a@x.cn"), ("email", "b@x.cn")]
    assert found[0].format == "dingtalk:text"


MSG = domain.Message("督办单 督〔2026〕1号", ("企业：甲公司", "诉求：招工难"))


def test_the_robot_formats_of_wecom_and_dingtalk():
    assert channels.robot_body("wecom:markdown", MSG) == {
        "msgtype": "markdown", "markdown": {"content": "### 督办单 督〔2026〕1号\n> 企业：甲公司\n> 诉求：招工难"}}
    assert channels.robot_body("dingtalk:markdown", MSG) == {
        "msgtype": "markdown",
        "markdown": {"title": "督办单 督〔2026〕1号", "text": "### 督办单 督〔2026〕1号\n> 企业：甲公司\n> 诉求：招工难"}}
    text = {"msgtype": "text", "text": {"content": "【督办单 督〔2026〕1号】\n企业：甲公司\n诉求：招工难"}}
    assert channels.robot_body("wecom:text", MSG) == text
    assert channels.robot_body("dingtalk:text", MSG) == text


def test_an_email_carries_the_notice_id_as_its_message_id():
    mail = channels.email_message({"notice_id": "abc123", "address": "a@x.cn"}, MSG, "notifier@county.cn")
    assert mail["Message-ID"] == "<abc123@notifier>"
    assert mail["X-Notice-Id"] == "abc123"
    assert "招工难" in mail.get_content()


SHEET = {"number": "督〔2026〕3号", "level": "red", "kind": "issue", "enterprise": "三原县甲机械有限公司",
         "issue_id": "iss-1", "demand": "招工难，缺焊工二十名", "deadline": "2026-11-20", "working_days_overdue": 8,
         "unit": "县人社局", "head": "李局长", "leaders": ["王县长", "赵副县长"], "issued_on": "2026-12-02"}


def test_the_supervision_document_is_a_docx_with_its_contents():
    opened = docx.Document(io.BytesIO(supervision_docx(SHEET)))
    text = "\n".join([p.text for p in opened.paragraphs] +
                     [c.text for t in opened.tables for row in t.rows for c in row.cells])
    for wanted in ("督 办 单", "督〔2026〕3号", "三原县甲机械有限公司", "2026-11-20", "县人社局", "王县长、赵副县长",
                   "8 个工作日", "红色", "招工难，缺焊工二十名"):
        assert wanted in text
