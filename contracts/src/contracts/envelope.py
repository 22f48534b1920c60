"""The CloudEvents 1.0 envelope (structured JSON mode): build, encode, and parse with a reason on failure."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, Literal, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.events import PAYLOADS, Payload
from contracts.types import Id, Timestamp, TownshipId

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
SUPPORTED_MAJORS = {1}
# The largest real event (a visit with many demands of 4000 characters each) is far below this; anything
# larger is a mistake or an attack, refused before it costs a JSON parse.
MAX_EVENT_BYTES = 256 * 1024
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
_DATASCHEMA = re.compile(r"^urn:township-events:(?P<type>[A-Za-z]+):(?P<major>\d+)$")

P = TypeVar("P")


class CloudEvent(BaseModel, Generic[P]):
    model_config = ConfigDict(extra="ignore", frozen=True)
    specversion: Literal["1.0"]
    id: Id
    type: str
    source: Id
    subject: Id
    time: Timestamp
    datacontenttype: Literal["application/json"]
    dataschema: Optional[str] = None
    township: TownshipId
    data: P


# Parametrised once: looking a generic up per message costs as much as validating it.
_ENVELOPE = CloudEvent[dict[str, Any]]
_TYPED = {name: CloudEvent[model] for name, model in PAYLOADS.items()}


class InvalidEvent(ValueError):
    """A message that cannot be accepted; `reason` is a short code, `detail` says which field and why."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def dataschema_for(event_type: str, major: int = 1) -> str:
    return f"urn:township-events:{event_type}:{major}"


def new_event(
    payload: Payload,
    *,
    township: str,
    source: str,
    time: Optional[datetime] = None,
    event_id: Optional[str] = None,
) -> CloudEvent[Payload]:
    return CloudEvent[type(payload)](
        specversion="1.0",
        id=event_id or str(uuid.uuid4()),
        type=payload.event_type,
        source=source,
        subject=payload.subject(),
        time=time or datetime.now(CHINA),
        datacontenttype="application/json",
        dataschema=dataschema_for(payload.event_type),
        township=township,
        data=payload,
    )


def to_json(event: CloudEvent[Any]) -> dict[str, Any]:
    body = event.model_dump(mode="json", serialize_as_any=True)
    if event.dataschema is None:
        body.pop("dataschema")
    return body


def encode(event: CloudEvent[Any]) -> bytes:
    return json.dumps(to_json(event), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def headers_for(event: CloudEvent[Any]) -> dict[str, str]:
    return {"content-type": CONTENT_TYPE, "ce_type": event.type, "ce_id": event.id}


def describe(exc: ValidationError, prefix: str = "") -> str:
    """'field.path: why' for each error, so a DLQ reader or an HTTP client sees every bad field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        parts.append(f"{loc or '(message)'}: {err['msg']}")
    return "; ".join(parts)


def parse(raw: bytes | str) -> CloudEvent[Payload]:
    """Validate a Kafka message value; raise InvalidEvent naming what is wrong."""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_EVENT_BYTES:
        raise InvalidEvent("too_large", f"the value is {size} bytes; at most {MAX_EVENT_BYTES} are accepted")
    try:
        # Decode explicitly: json.loads(bytes) would also take UTF-16/32. A UTF-8 BOM is tolerated (RFC 8259 §8.1).
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:  # also too-deep nesting or an over-long integer
        raise InvalidEvent("not_json", f"the value is not UTF-8 JSON ({exc})") from None
    if not isinstance(body, dict):
        raise InvalidEvent("not_an_object", f"the value is JSON {type(body).__name__}, not an object")
    try:
        envelope = _ENVELOPE.model_validate(body)
    except ValidationError as exc:
        raise InvalidEvent("invalid_envelope", describe(exc)) from None
    model = PAYLOADS.get(envelope.type)
    if model is None:
        raise InvalidEvent("unknown_type", f"type: {envelope.type!r} is not one of {sorted(PAYLOADS)}")
    if envelope.dataschema is not None:
        m = _DATASCHEMA.match(envelope.dataschema)
        if not m or m["type"] != envelope.type:
            raise InvalidEvent(
                "invalid_envelope", f"dataschema: {envelope.dataschema!r} is not urn:township-events:{envelope.type}:<major>"
            )
        if int(m["major"]) not in SUPPORTED_MAJORS:
            raise InvalidEvent("unsupported_version", f"dataschema: major version {m['major']} is not supported")
    try:
        payload = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise InvalidEvent("invalid_data", describe(exc, "data")) from None
    return _TYPED[envelope.type].model_construct(**{**dict(envelope), "data": payload})
