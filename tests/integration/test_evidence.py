"""Evidence on the real Kafka and store: a photo attached to a visit round-trips with its hash from GridFS, its
thumbnail is a smaller JPEG, its GPS is gone unless kept on purpose; a 30 MB file and executables are refused with
the file and the reason; evidence on an issue's closure; the events on visits.v1 and issues.v1; another township."""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
from datetime import timedelta

import pytest_asyncio
from PIL import Image

from buildingblocks.clock import clock
from issues.app import create_app as issues_app
from tests.support.apps import bearer, running
from tests.support.kafka import read_events
from visits.app import create_app as visits_app

T = "/api/v1/townships/dacheng"
CLERK, VIEWER, XIYANG = bearer("dacheng_clerk"), bearer("dacheng_viewer"), bearer("xiyang_clerk")
E1 = "91330782MA2ABCD13A"
GPS = {1: "N", 2: (34.0, 36.0, 12.5), 3: "E", 4: (108.0, 56.0, 3.25)}


def photo_with_gps(size=(2000, 1500)) -> bytes:
    """A phone-like photo: noise (so it is not tiny), the camera's make and a GPS position in its EXIF."""
    image = Image.effect_noise(size, 60).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(0x8825))


@pytest_asyncio.fixture
async def visits(stack, monkeypatch):
    async with running(visits_app, monkeypatch) as client:
        yield client


@pytest_asyncio.fixture
async def issues(stack, monkeypatch):
    monkeypatch.setenv("SWEEP_INTERVAL_S", "3600")
    async with running(issues_app, monkeypatch) as client:
        yield client


async def a_visit(api) -> dict:
    r = await api.post(f"{T}/officials", json={"official_id": "c-li", "name": "李县长", "rank": "county"}, headers=CLERK)
    assert r.status_code == 201, r.text
    body = {"enterprise_id": E1, "name": "秦川机床", "category": "industry", "registered_on": "2026-01-05"}
    assert (await api.post(f"{T}/enterprises", json=body, headers=CLERK)).status_code == 201
    day = (clock.today() - timedelta(days=1)).isoformat()
    r = await api.post(f"{T}/visits", json={"enterprise_id": E1, "visited_on": day, "visitor_ids": ["c-li"],
                                            "channel": "in_person", "kind": "routine"}, headers=CLERK)
    assert r.status_code == 201, r.text
    return r.json()


async def events_of(bootstrap: str, topic: str, event_type: str, evidence_id: str) -> list[dict]:
    for _ in range(50):  # the relay publishes right after the write; give it a moment
        found = [e for _, e in await read_events(bootstrap, topic)]
        found = [e for e in found if e["type"] == event_type and e["data"]["evidence_id"] == evidence_id]
        if found:
            return found
        await asyncio.sleep(0.2)
    return []


async def test_a_visit_photo_round_trips_with_its_hash_a_smaller_thumbnail_and_no_gps(visits, kafka_bootstrap):
    v = await a_visit(visits)
    base = f"{T}/visits/{v['visit_id']}/evidence"
    original = photo_with_gps()
    assert gps_of(original) == GPS
    r = await visits.post(base, files={"file": ("车间走访.jpg", original, "application/octet-stream")}, headers=CLERK)
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["content_type"] == "image/jpeg" and ev["name"] == "车间走访.jpg" and ev["enterprise_id"] == E1
    assert ev["location_removed"] is True and ev["location_kept"] is False and ev["attached_by"]
    assert ev["uploaded_sha256"] == hashlib.sha256(original).hexdigest() != ev["sha256"]

    stored = await visits.get(f"{base}/{ev['evidence_id']}", headers=VIEWER)
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(stored.content).hexdigest() == ev["sha256"] == stored.headers["etag"].strip('"')
    assert len(stored.content) == ev["size"] and stored.headers["x-content-type-options"] == "nosniff"
    assert gps_of(stored.content) == {}  # the location is gone ...
    with Image.open(io.BytesIO(stored.content)) as image:  # ... the camera and the picture are not
        assert image.getexif()[0x010F] == "HUAWEI" and image.size == (2000, 1500)
    assert stored.content.replace(b"\x00", b"") != original.replace(b"\x00", b"")

    thumb = await visits.get(f"{base}/{ev['evidence_id']}/thumbnail", headers=VIEWER)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert len(thumb.content) < len(stored.content) and len(thumb.content) == ev["thumbnail"]["size"]
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert small.format == "JPEG" and max(small.size) == 320 and small.size == (320, 240)
        assert dict(small.getexif()) == {}

    listed = (await visits.get(base, headers=VIEWER)).json()
    assert [e["evidence_id"] for e in listed] == [ev["evidence_id"]]

    [event] = await events_of(kafka_bootstrap, "visits.v1", "EvidenceAttached", ev["evidence_id"])
    assert event["data"] == {"evidence_id": ev["evidence_id"], "enterprise_id": E1, "owner": "visit",
                             "owner_id": v["visit_id"], "name": "车间走访.jpg", "content_type": "image/jpeg",
                             "size": ev["size"], "sha256": ev["sha256"]}


async def test_a_photo_kept_on_purpose_keeps_its_location_byte_for_byte(visits):
    v = await a_visit(visits)
    original = photo_with_gps((800, 600))
    r = await visits.post(f"{T}/visits/{v['visit_id']}/evidence", files={"file": ("定位.jpg", original, "image/jpeg")},
                          data={"keep_location": "true"}, headers=CLERK)
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["location_kept"] is True and ev["location_removed"] is False
    assert ev["sha256"] == ev["uploaded_sha256"] == hashlib.sha256(original).hexdigest()
    stored = await visits.get(f"{T}/visits/{v['visit_id']}/evidence/{ev['evidence_id']}", headers=CLERK)
    assert stored.content == original and gps_of(stored.content) == GPS


async def test_a_30_mb_file_and_executables_are_refused_naming_the_file_and_the_reason(visits):
    v = await a_visit(visits)
    base = f"{T}/visits/{v['visit_id']}/evidence"
    big = b"%PDF-1.7\n" + os.urandom(30 * 1024 * 1024)
    r = await visits.post(base, files={"file": ("扫描件.pdf", big, "application/pdf")}, headers=CLERK)
    assert r.status_code == 413, r.text
    body = r.json()
    assert body["file"] == "扫描件.pdf" and body["reason"] == "too_large" and "20 MB" in body["detail"]
    assert body["detail"].startswith("扫描件.pdf:")

    executables = {
        "setup.exe": b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(2000),
        "tool": b"\x7fELF\x02\x01\x01\x00" + os.urandom(2000),
        "run.sh": b"#!/bin/sh\nrm -rf /\n",
    }
    for name, content in executables.items():
        r = await visits.post(base, files={"file": (name, content, "image/jpeg")}, headers=CLERK)  # the claim is ignored
        assert r.status_code == 415, (name, r.text)
        body = r.json()
        assert body["file"] == name and body["reason"] == "executable" and "never accepted" in body["detail"], body
    fake = await visits.post(base, files={"file": ("照片.jpg", b"<html>not a photo</html>", "image/jpeg")}, headers=CLERK)
    assert fake.status_code == 415 and fake.json()["reason"] == "type_not_allowed" and "JPEG" in fake.json()["detail"]
    broken = await visits.post(base, files={"file": ("坏.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg")},
                               headers=CLERK)
    assert broken.status_code == 422 and broken.json()["reason"] == "unreadable"
    [error] = broken.json()["detail"]  # shaped like every other 422: the field and why
    assert error["loc"] == ["body", "file"] and error["msg"].startswith("坏.jpg: ")
    assert (await visits.get(base, headers=CLERK)).json() == []  # nothing refused was kept


async def test_a_document_is_served_as_a_download_and_a_retry_stores_it_once(visits):
    v = await a_visit(visits)
    base = f"{T}/visits/{v['visit_id']}/evidence"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    key = {"Idempotency-Key": "upload-1", **CLERK}
    first = await visits.post(base, files={"file": ("座谈纪要.pdf", pdf, "application/pdf")}, headers=key)
    again = await visits.post(base, files={"file": ("座谈纪要.pdf", pdf, "application/pdf")}, headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["thumbnail"] is None and first.json()["content_type"] == "application/pdf"
    other = await visits.post(base, files={"file": ("另一份.pdf", pdf + b"x", "application/pdf")}, headers=key)
    assert other.status_code == 409
    got = await visits.get(f"{base}/{first.json()['evidence_id']}", headers=CLERK)
    assert got.content == pdf and got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert (await visits.get(f"{base}/{first.json()['evidence_id']}/thumbnail", headers=CLERK)).status_code == 404
    assert len((await visits.get(base, headers=CLERK)).json()) == 1


async def test_another_township_and_viewers_and_unknown_visits(visits):
    v = await a_visit(visits)
    base = f"{T}/visits/{v['visit_id']}/evidence"
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, "PNG")
    files = {"file": ("a.png", png.getvalue(), "image/png")}
    assert (await visits.post(base, files=files, headers=XIYANG)).status_code == 403
    assert (await visits.post(base, files=files, headers=VIEWER)).status_code == 403
    assert (await visits.get(base, headers=XIYANG)).status_code == 403
    unknown = await visits.post(f"{T}/visits/v-nope/evidence", files=files, headers=CLERK)
    assert unknown.status_code == 404 and "v-nope" in unknown.text
    ok = await visits.post(base, files=files, headers=CLERK)
    assert ok.status_code == 201 and ok.json()["content_type"] == "image/png"
    assert (await visits.get(f"/api/v1/townships/xiyang/visits/{v['visit_id']}/evidence/{ok.json()['evidence_id']}",
                             headers=XIYANG)).status_code == 404


async def test_evidence_on_an_issues_closure(issues, kafka_bootstrap):
    raised = await issues.post(f"{T}/issues", json={"enterprise_id": E1, "category": "labour", "description": "缺焊工",
                                                    "source": "leader", "raised_on": "2026-03-02"}, headers=CLERK)
    assert raised.status_code == 201, raised.text
    issue_id = raised.json()["issue_id"]
    closed = await issues.post(f"{T}/issues/{issue_id}/close", json={
        "closed_on": "2026-03-10", "outcome": "resolved", "resolution": "招聘会对接到岗12人"}, headers=CLERK)
    assert closed.status_code == 200, closed.text
    base = f"{T}/issues/{issue_id}/evidence"
    sheet = photo_with_gps((1200, 900))
    r = await issues.post(base, files={"file": ("签到表.jpg", sheet, "image/jpeg")}, headers=CLERK)
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["owner"] == "issue" and ev["owner_id"] == issue_id and ev["issue_status"] == "closed"
    got = await issues.get(f"{base}/{ev['evidence_id']}", headers=VIEWER)
    assert hashlib.sha256(got.content).hexdigest() == ev["sha256"] and gps_of(got.content) == {}
    assert [e["evidence_id"] for e in (await issues.get(base, headers=VIEWER)).json()] == [ev["evidence_id"]]
    exe = await issues.post(base, files={"file": ("patch.exe", b"MZ" + os.urandom(100), "application/pdf")}, headers=CLERK)
    assert exe.status_code == 415 and exe.json()["file"] == "patch.exe"
    assert (await issues.post(f"{T}/issues/i-nope/evidence", files={"file": ("a.jpg", sheet, "image/jpeg")},
                              headers=CLERK)).status_code == 404
    # The issue itself is unchanged by its evidence.
    assert (await issues.get(f"{T}/issues/{issue_id}", headers=CLERK)).json()["history"] == closed.json()["history"]
    [event] = await events_of(kafka_bootstrap, "issues.v1", "IssueEvidenceAttached", ev["evidence_id"])
    assert event["data"]["owner"] == "issue" and event["data"]["sha256"] == ev["sha256"]
    assert event["source"] == "/townships/dacheng/issues" and event["subject"] == ev["evidence_id"]
