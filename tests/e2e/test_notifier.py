"""The notifier as real processes on the real Kafka and store, delivering to a local webhook receiver (standing in
for the 企业微信/钉钉 robots and the SMS gateway) and a local SMTP server: each notice exactly once per event and
recipient across a SIGKILL mid-delivery and a redelivery of the whole topic; a receiver that is down gets its
notice once it is back, and the failed attempts are recorded and listed."""
from __future__ import annotations

import asyncio
import io
import random
import re
import uuid
from collections import Counter
from datetime import date
from urllib.parse import quote

import docx
import httpx
import pytest

from tests.support import events, kafka
from tests.support.apps import bearer
from tests.support.processes import free_port, own_state, wait_for
from tests.support.receivers import HttpReceiver, SmtpReceiver

ADMIN, VIEWER = bearer("county_admin"), bearer("county_viewer")
DAY = "2026-12-02"  # a Wednesday: the processes' day (CLOCK_TODAY), so the digest's weekday is known
START_S = 180  # a start on a loaded machine (the imports alone) can take a minute
QUIET_OFF = {"quiet_hours": None, "digest_weekday": 7, "digest_time": "23:59"}  # no digest on a Wednesday


def notifier(http: HttpReceiver, smtp_port: int, **env: str):
    return own_state("notifier", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), SMTP_FROM="notifier@county.test",
                     SMS_GATEWAY_URL=f"{http.url}/sms", SEND_INTERVAL_S="0.2", RETRY_BASE_S="0.3", RETRY_MAX_S="1",
                     SENDER_LEASE_S="2", CLOCK_TODAY=DAY, **env)


def again(proc, group: str | None = None):
    """Another process on the same database; the same consumer group unless a fresh one is given."""
    env = {k: v for k, v in proc.env.items() if k not in ("PORT",)}
    if group:
        env["CONSUMER_GROUP"] = group
    return type(proc)(proc.module, env)


def put(proc, path: str, body) -> None:
    r = httpx.put(f"{proc.url}/api/v1{path}", json=body, headers=ADMIN, timeout=10)
    assert r.status_code == 200, r.text


def notices(proc, **query) -> list[dict]:
    r = httpx.get(f"{proc.url}/api/v1/notices", params=query, headers=VIEWER, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def produce(bootstrap: str, topic: str, bodies: list[dict]) -> None:
    def key(b):
        return (b["data"].get("enterprise_id") or b["subject"]).encode()
    asyncio.run(kafka.produce(bootstrap, topic, [(key(b), events.encode(b)) for b in bodies]))


def caught_up(bootstrap: str, group: str, *topics: str) -> bool:
    return all(asyncio.run(kafka.lag(bootstrap, group, t)) == 0 for t in topics)


@pytest.fixture
def receivers():
    http = HttpReceiver(free_port()).start()
    smtp = SmtpReceiver(free_port()).start()
    yield http, smtp
    http.stop()
    smtp.stop()


def configure(proc, http: HttpReceiver, unit: str, official: str) -> None:
    put(proc, "/settings", QUIET_OFF)
    put(proc, f"/recipients/units/{unit}", {
        "webhook": {"url": f"{http.url}/robot/{unit}", "format": "wecom"}, "sms": ["13800000001"],
        "email": [f"{unit}@county.test"], "head": {"name": "李局长", "email": [f"head-{unit}@county.test"]}})
    put(proc, f"/recipients/officials/{official}", {
        "name": "王县长", "webhook": {"url": f"{http.url}/robot/{official}", "format": "dingtalk", "msgtype": "text"},
        "email": [f"{official}@county.test"]})


def registrations(bootstrap: str, township: str, unit: str, official: str, enterprise: str) -> None:
    produce(bootstrap, "issues.v1", [events.unit_registered("county", unit, "县人社局", head="李局长")])
    produce(bootstrap, "visits.v1", [events.enterprise_registered(
        township, enterprise, date(2026, 1, 5), name="三原县甲机械有限公司",
        assigned_officials=({"official_id": official, "name": "王县长", "rank": "county"},))])


def test_each_notice_is_delivered_exactly_once_across_a_kill_and_a_redelivery(stack, kafka_bootstrap, township,
                                                                            receivers):
    http, smtp = receivers
    http.hang_on = 5  # the fifth HTTP delivery is held unanswered: the kill comes while it is in flight
    suffix = uuid.uuid4().hex[:6]
    unit, official = f"u-{suffix}", f"o-{suffix}"
    enterprise = events.uscc(random.Random(suffix))
    first = notifier(http, smtp.port)
    group = first.env["CONSUMER_GROUP"]
    first.start(START_S)
    try:
        configure(first, http, unit, official)
        registrations(kafka_bootstrap, township, unit, official, enterprise)
        wait_for(lambda: caught_up(kafka_bootstrap, group, "issues.v1", "visits.v1"), 180, "the registrations read")
        raised = [events.issue_raised(township, f"iss-{i}", enterprise, date(2026, 11, 2), date(2026, 11, 20),
                                      unit_id=unit, responsible_unit="县人社局", description=f"诉求{i}")
                  for i in range(3)]
        produce(kafka_bootstrap, "issues.v1", raised)
        assert http.hanging.wait(60), "the fifth delivery never came"
        first.kill()  # SIGKILL with a delivery in flight, before the receiver's 200
    finally:
        first.kill()
        http.release()
    # While it is down: a reminder (blue) and a 督办单 (yellow).
    escalations = [
        events.issue_escalated(township, "iss-0", enterprise, "blue", "none", date(2026, 11, 18), date(2026, 11, 20),
                               unit_id=unit, responsible_unit="县人社局"),
        events.issue_escalated(township, "iss-1", enterprise, "yellow", "blue", date(2026, 11, 24),
                               date(2026, 11, 20), overdue_working_days=2, unit_id=unit, responsible_unit="县人社局"),
    ]
    produce(kafka_bootstrap, "issues.v1", escalations)
    second = again(first).start(START_S)
    try:
        # 3 new issues × (webhook, SMS, e-mail) + the reminder × 3 + the 督办单 to the head (e-mail) and the 包抓
        # leader (webhook, e-mail)
        mine = wait_for(lambda: (n := notices(second, township=township)) and len(n) == 15
                        and all(x["status"] == "sent" for x in n) and n, 180, "15 notices sent")
        assert Counter(n["kind"] for n in mine) == {"new_issue": 9, "reminder": 3, "supervision": 3}
        keys = Counter((n["issue_id"], n["kind"], n["recipient"], n["channel"], n["address"]) for n in mine)
        assert set(keys.values()) == {1}
        http_ids = {n["notice_id"] for n in mine if n["channel"] in ("webhook", "sms")}
        mail_ids = {f"<{n['notice_id']}@notifier>" for n in mine if n["channel"] == "email"}
        assert sorted(http.ids()) == sorted(http_ids)  # each exactly once, the interrupted one too
        assert sorted(smtp.message_ids()) == sorted(mail_ids)
        assert http.requests == len(http_ids) + 1  # the one held unanswered, and nothing else twice
        robot = [d.body for d in http.accepted if d.path == f"/robot/{unit}"]
        assert len(robot) == 4 and all(b["msgtype"] == "markdown" and "content" in b["markdown"] for b in robot)
        # Every yellow or red escalation on the topic gets the next number (those of other tests' townships too)
        numbers = {n["number"] for n in mine if n["kind"] == "supervision"}
        assert len(numbers) == 1 and re.fullmatch(r"督〔2026〕\d+号", number := numbers.pop())
        leader = [d.body for d in http.accepted if d.path == f"/robot/{official}"]
        assert len(leader) == 1 and leader[0]["msgtype"] == "text" and number in leader[0]["text"]["content"]
        sms = [d.body for d in http.accepted if d.path == "/sms"]
        assert len(sms) == 4 and {b["phone"] for b in sms} == {"13800000001"}
        head = [m for m in smtp.mails if m.to == [f"head-{unit}@county.test"]]
        assert len(head) == 1 and number in head[0].subject and "三原县甲机械有限公司" in head[0].text

        sheet = httpx.get(f"{second.url}/api/v1/supervision-notices/{quote(number)}", headers=VIEWER).json()
        assert (sheet["enterprise"], sheet["demand"], sheet["deadline"], sheet["working_days_overdue"],
                sheet["unit"], sheet["leaders"], sheet["level"]) == (
            "三原县甲机械有限公司", "诉求1", "2026-11-20", 2, "县人社局", ["王县长"], "yellow")
        short = "2026-" + number.removeprefix("督〔2026〕").removesuffix("号")
        doc = httpx.get(f"{second.url}/api/v1/supervision-notices/{short}/document", headers=VIEWER)
        cells = [c.text for t in docx.Document(io.BytesIO(doc.content)).tables for r in t.rows for c in r.cells]
        assert {number, "三原县甲机械有限公司", "2026-11-20", "县人社局"} <= set(cells)
    finally:
        second.stop()

    # The whole topic again: a fresh consumer group reads every event from the start, and the same events are
    # published once more. Nothing new is made, nothing is sent again, the 督办单 keeps its number.
    third = again(first, group=f"{group}.replay").start(START_S)
    try:
        produce(kafka_bootstrap, "issues.v1", raised + escalations)
        wait_for(lambda: caught_up(kafka_bootstrap, third.env["CONSUMER_GROUP"], "issues.v1", "visits.v1"), 90,
                 "the replay read to the end")
        after = notices(third, township=township)
        assert sorted(n["notice_id"] for n in after) == sorted(n["notice_id"] for n in mine)
        assert all(n["status"] == "sent" for n in after)
        assert {n["number"] for n in after if n["kind"] == "supervision"} == {number}
        # written pending before sending: had the replay made any, they would be listed above; none were
        assert sorted(http.ids()) == sorted(http_ids) and sorted(smtp.message_ids()) == sorted(mail_ids)
    finally:
        third.stop()


def test_a_receiver_that_is_down_gets_the_notice_when_it_is_back_and_the_failures_are_listed(
        stack, kafka_bootstrap, township):
    http = HttpReceiver(free_port())  # not started yet: the robot and the SMS gateway are down
    smtp_port = free_port()  # nor the mail server
    suffix = uuid.uuid4().hex[:6]
    unit, official = f"u-{suffix}", f"o-{suffix}"
    enterprise = events.uscc(random.Random(suffix))
    proc = notifier(http, smtp_port).start(START_S)
    smtp = None
    try:
        configure(proc, http, unit, official)
        produce(kafka_bootstrap, "issues.v1", [events.issue_raised(
            township, "iss-down", enterprise, date(2026, 11, 2), date(2026, 11, 20), unit_id=unit)])
        failing = wait_for(lambda: (n := notices(proc, township=township, status="pending")) and len(n) == 3
                           and all(x["attempts"] >= 2 for x in n) and n, 180, "three notices failing twice")
        for n in failing:
            assert n["last_error"], n
            assert n["sent_at"] is None
        assert {n["channel"] for n in failing} == {"webhook", "sms", "email"}
        assert "Connect" in next(n for n in failing if n["channel"] == "webhook")["last_error"]
        http.start()
        smtp = SmtpReceiver(smtp_port).start()
        sent = wait_for(lambda: (n := notices(proc, township=township)) and all(x["status"] == "sent" for x in n)
                        and n, 180, "the notices sent once the receivers are back")
        assert len(sent) == 3
        for n in sent:
            assert n["attempts"] >= 3 and n["last_error"]  # the failures stay on record
        assert sorted(http.ids()) == sorted(n["notice_id"] for n in sent if n["channel"] != "email")
        assert smtp.message_ids() == [f"<{n['notice_id']}@notifier>" for n in sent if n["channel"] == "email"]
    finally:
        proc.stop()
        http.stop()
        if smtp is not None:
            smtp.stop()


def test_two_replicas_send_each_notice_once(stack, kafka_bootstrap, township, receivers):
    """Two notifier processes on one database and consumer group: the partitions are shared between them, the
    lease makes one of them the sender, and every notice reaches its receiver once."""
    http, smtp = receivers
    suffix = uuid.uuid4().hex[:6]
    unit, official = f"u-{suffix}", f"o-{suffix}"
    enterprises = [events.uscc(random.Random(f"{suffix}{i}")) for i in range(6)]  # keys over several partitions
    one = notifier(http, smtp.port)
    two = again(one)
    one.start(START_S)
    two.start(START_S)
    try:
        configure(one, http, unit, official)
        produce(kafka_bootstrap, "issues.v1", [
            events.issue_raised(township, f"iss-{i}", e, date(2026, 11, 2), date(2026, 11, 20), unit_id=unit)
            for i, e in enumerate(enterprises)])
        mine = wait_for(lambda: (n := notices(two, township=township)) and len(n) == 18
                        and all(x["status"] == "sent" for x in n) and n, 180, "18 notices sent")
        assert sorted(http.ids()) == sorted(n["notice_id"] for n in mine if n["channel"] != "email")
        assert sorted(smtp.message_ids()) == sorted(f"<{n['notice_id']}@notifier>" for n in mine
                                                    if n["channel"] == "email")
        leaders = [httpx.get(f"{p.url}/metrics", timeout=10).text for p in (one, two)]
        held = [next(line for line in text.splitlines() if line.startswith('lease_held{lease="notifier:sender"'))
                for text in leaders]
        assert sorted(line.rsplit(" ", 1)[1] for line in held) == ["0.0", "1.0"]
    finally:
        one.stop()
        two.stop()
