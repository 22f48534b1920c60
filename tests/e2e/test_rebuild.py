"""A rebuild replays the log into a new generation while the old one serves, switches in one step, and the API
never answers with an error meanwhile; the reports are identical; the old generation is dropped on request."""
from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import date

import httpx
from pymongo import MongoClient

from tests.support import events, kafka
from tests.support.apps import bearer

PERIODS = ["2026-01", "2026-02", "2026-Q1", "2026-H1", "2026"]


def visits(township: str, n: int, rng: random.Random, first: int = 0) -> list[tuple[bytes, bytes]]:
    out = []
    for i in range(first, first + n):
        e = events.uscc(rng)
        out.append((e.encode(), events.encode(events.enterprise_registered(township, e, date(2026, 1, 2)))))
        out.append((e.encode(), events.encode(events.visit_logged(township, e, f"v{i}", date(2026, 1 + i % 3, 1 + i % 27)))))
    return out


def reports(proc, township: str) -> dict:
    return {p: httpx.get(f"{proc.url}/api/v1/reports/{township}/{p}", headers=bearer("county_viewer"), timeout=30).json()
            for p in PERIODS}


def rebuild(proc, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "reporting.rebuild", *args], env=proc.env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_rebuild_switches_without_an_error_and_gives_identical_reports(reporting, kafka_bootstrap, mongo_uri):
    township = f"t-{uuid.uuid4().hex[:8]}"
    asyncio.run(kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 40, random.Random(4))))
    reporting.start()
    deadline = time.monotonic() + 60
    while httpx.get(f"{reporting.url}/api/v1/reports/{township}/2026", headers=bearer("county_viewer")).json().get("visits") != 40:
        assert time.monotonic() < deadline, "the reporting service did not take in the visits"
        time.sleep(0.3)
    before = reports(reporting, township)

    statuses: list[int] = []
    stop = threading.Event()

    def hammer():  # a clerk reading the report all through the rebuild
        with httpx.Client(headers=bearer("county_viewer"), timeout=30) as client:
            while not stop.is_set():
                statuses.append(client.get(f"{reporting.url}/api/v1/reports/{township}/2026-Q1").status_code)

    reader = threading.Thread(target=hammer)
    reader.start()
    try:
        assert "generation 2 is active" in rebuild(reporting)
    finally:
        stop.set()
        reader.join(30)
    assert statuses and set(statuses) == {200}, f"{len(statuses)} reads: {sorted(set(statuses))}"
    assert reports(reporting, township) == before

    db = MongoClient(mongo_uri)[reporting.env["MONGODB_DB"]]
    assert db["projection_state"].find_one({"_id": "state"})["active"] == 2
    assert db["g2_visits"].count_documents({"township": township}) == 40

    # New events reach the new generation through the live consumer; then the old one is dropped.
    asyncio.run(kafka.produce(kafka_bootstrap, "visits.v1", visits(township, 1, random.Random(99), first=40)))
    deadline = time.monotonic() + 60
    while reports(reporting, township)["2026"]["visits"] != 41:
        assert time.monotonic() < deadline, "a new visit did not reach the active generation"
        time.sleep(0.3)
    rebuild(reporting, "--drop", "1")
    assert "visits" not in db.list_collection_names()
    assert db["projection_state"].find_one({"_id": "state"})["live"] == [2]
    assert reports(reporting, township)["2026"]["visits"] == 41
    done = subprocess.run([sys.executable, "-m", "reporting.rebuild", "--drop", "2"], env=reporting.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "active" in (done.stderr + done.stdout)
