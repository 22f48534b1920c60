"""A clerk's fix end to end: a visit with a malformed date is dead-lettered by the real reporting process,
exported, fixed, replayed with `python -m buildingblocks.dlq`, and then counted in the township's report."""
from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import date
from pathlib import Path

import httpx

from tests.support import events, kafka
from tests.support.kafka import dlq_command
from tests.support.processes import wait_for
from tests.support.apps import bearer

TOPIC, DLQ = "visits.v1", "visits.v1.dlq"


def test_a_dead_lettered_visit_fixed_and_replayed_is_counted_in_the_report(reporting, kafka_bootstrap, township, tmp_path):
    enterprise = events.uscc(random.Random())
    visit_id = f"v-{uuid.uuid4().hex[:8]}"
    body = events.visit_logged(township, enterprise, visit_id, date(2026, 3, 5))
    body["data"]["visited_on"] = "2026/03/05"  # typed by hand in another county system
    start = asyncio.run(kafka.end_offset(kafka_bootstrap, DLQ))
    group = reporting.env["CONSUMER_GROUP"]

    reporting.start()
    asyncio.run(kafka.produce(kafka_bootstrap, TOPIC, [(enterprise.encode(), events.encode(body))]))

    def our_dead_letter():
        for r in asyncio.run(kafka.read_all(kafka_bootstrap, DLQ, timeout_s=60)):
            headers = {k: v.decode() for k, v in r.headers}
            if r.offset >= start and r.key == enterprise.encode() and headers.get("dlq-consumer-group") == group:
                return r, headers
        return None

    record, headers = wait_for(our_dead_letter, 90, "the visit to be dead-lettered by the reporting process")
    assert headers["dlq-reason"] == "invalid_data" and "data.visited_on" in headers["dlq-detail"]
    report_url = f"{reporting.url}/api/v1/reports/{township}/2026-03"
    assert httpx.get(report_url, headers=bearer("county_viewer"), timeout=30).json().get("visits") in (None, 0)

    exported = tmp_path / "dead.jsonl"
    done = dlq_command(kafka_bootstrap, "export", TOPIC, "--out", str(exported), "--from-offset", str(start))
    assert done.returncode == 0, done.stderr
    (line,) = [d for d in map(json.loads, exported.read_text(encoding="utf-8").splitlines()) if d["offset"] == record.offset]
    assert line["reason"] == "invalid_data" and line["consumer_group"] == group
    line["value"] = line["value"].replace('"2026/03/05"', '"2026-03-05"')
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")  # only ours: others' stay pending

    replayed = dlq_command(kafka_bootstrap, "replay", str(fixed), "--by", "e2e-clerk")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "replayed 1, dropped 0, skipped 0, refused 0" in replayed.stdout

    def counted():
        got = httpx.get(report_url, headers=bearer("county_viewer"), timeout=30)
        return got.status_code == 200 and got.json()["visits"] == 1 and got.json()

    report = wait_for(counted, 60, "the replayed visit to be counted")
    assert report["visits_in_person"] == 1 and report["county_leader_visits"] == 1
    assert record.offset not in [d["offset"] for d in map(json.loads, _export(kafka_bootstrap, tmp_path, start))]


def _export(bootstrap: str, tmp_path: Path, start: int) -> list[str]:
    out = tmp_path / "after.jsonl"
    done = dlq_command(bootstrap, "export", TOPIC, "--out", str(out), "--from-offset", str(start))
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8").splitlines()
