"""The services' AsyncAPI documents: the checked-in copies (docs/asyncapi/) are the generated ones, every event type
of the contract is on its topic with its schema, each service shows the channels it really reads and writes, and
/asyncapi serves the same document."""
from __future__ import annotations

import functools
import importlib
import json
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from buildingblocks import asyncapi
from contracts import schema
from contracts.events import PAYLOADS
from contracts.topics import INTAKE, ISSUES, TYPES_BY_TOPIC, VISITS, dlq_topic

SERVICES = asyncapi.SERVICES
# Who sends what where (README, Architecture): the outbox relays publish, the consumers read and dead-letter.
OPERATIONS = {
    "visits": {("send", VISITS)},
    "issues": {("send", ISSUES), ("receive", VISITS), ("receive", INTAKE), ("send", dlq_topic(VISITS)),
               ("send", dlq_topic(INTAKE))},
    "reporting": {("receive", VISITS), ("receive", ISSUES), ("send", dlq_topic(VISITS)), ("send", dlq_topic(ISSUES))},
    "notifier": {("receive", VISITS), ("receive", ISSUES), ("send", dlq_topic(VISITS)), ("send", dlq_topic(ISSUES))},
}


@functools.cache
def app(service: str):
    return importlib.import_module(f"{service}.app").create_app()


def checked_in(service: str) -> dict[str, Any]:
    return json.loads(asyncapi.path_of(service).read_text(encoding="utf-8"))


def resolved(node: Any, defs: dict[str, Any], prefix: str) -> Any:
    """`node` with every local $ref replaced by what it names."""
    if isinstance(node, dict):
        if set(node) == {"$ref"} and node["$ref"].startswith(prefix):
            return resolved(defs[node["$ref"].removeprefix(prefix)], defs, prefix)
        return {k: resolved(v, defs, prefix) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v, defs, prefix) for v in node]
    return node


def operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(op["action"], doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"])
            for op in doc["operations"].values()}


def payloads_on(doc: dict[str, Any], topic: str) -> list[dict[str, Any]]:
    """The payload schema of every message of every channel on `topic`, references resolved."""
    schemas = doc["components"]["schemas"]
    out = []
    for channel in doc["channels"].values():
        if channel["address"] != topic:
            continue
        for ref in channel["messages"].values():
            message = doc["components"]["messages"][ref["$ref"].removeprefix("#/components/messages/")]
            out.append(resolved(message["payload"], schemas, "#/components/schemas/"))
    return out


def without_title(schema_: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema_.items() if k not in ("title", "$id", "$defs")}


@pytest.mark.parametrize("service", SERVICES)
def test_the_checked_in_document_is_the_generated_one(service):
    path = asyncapi.path_of(service)
    assert path.read_text(encoding="utf-8") == asyncapi.rendered(service), (
        f"{path} is out of date: run `python -m buildingblocks.asyncapi` and review the diff")


def test_one_document_per_service():
    assert sorted(p.name for p in asyncapi.DOCS.glob("*")) == sorted(f"{s}.json" for s in SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_shows_the_channels_it_reads_and_writes(service):
    doc = checked_in(service)
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] == service
    assert operations(doc) == OPERATIONS[service]


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_every_event_type_is_on_its_topic_with_its_schema(event_type):
    [topic] = [t for t, types in TYPES_BY_TOPIC.items() if event_type in types]
    contract = json.loads(schema.path_of(event_type).read_text(encoding="utf-8"))
    expected = without_title(resolved(contract, contract["$defs"], "#/$defs/"))
    seen = 0
    for service in SERVICES:
        for payload in payloads_on(checked_in(service), topic):
            events = payload.get("oneOf", [payload])
            assert [e["properties"]["type"]["const"] for e in events] == list(TYPES_BY_TOPIC[topic]), (service, topic)
            [event] = [e for e in events if e["properties"]["type"]["const"] == event_type]
            assert without_title(event) == expected, (service, topic, event_type)
            seen += 1
    # By its publisher and its consumers; DemandReported comes from other county systems, read by issues only.
    assert seen >= (1 if topic == INTAKE else 2), event_type


def test_a_topic_with_several_types_tells_them_apart_by_type():
    payload = checked_in("reporting")["components"]["schemas"][f"{ISSUES}:Message:Payload"]
    assert payload["discriminator"] == "type" and len(payload["oneOf"]) == len(TYPES_BY_TOPIC[ISSUES])


@pytest.mark.parametrize("service", SERVICES)
def test_the_dead_letter_channels_carry_the_original_bytes_and_name_the_dlq_headers(service):
    doc = checked_in(service)
    for channel in doc["channels"].values():
        if channel["address"].endswith(".dlq"):
            assert "dlq-reason" in channel["description"] and "dlq-original-offset" in channel["description"]
            [payload] = payloads_on(doc, channel["address"])
            assert payload["type"] == "string" and payload["format"] == "binary"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_serves_its_document_without_a_token(service):
    client = TestClient(app(service))  # not started: the lifespan (Kafka, Mongo) does not run
    served = client.get("/asyncapi")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert without_servers(served.json()) == without_servers(checked_in(service))
    as_yaml = client.get("/asyncapi.yaml")
    assert as_yaml.status_code == 200 and as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == served.json()


def without_servers(doc: dict[str, Any]) -> dict[str, Any]:
    """The served document names this process's Kafka; the checked-in one the default."""
    return {k: v for k, v in doc.items() if k != "servers"}
