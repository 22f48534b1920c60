"""JSON Schemas of the v1 events, generated from the models; `python -m contracts.schema` rewrites schemas/.
Also the models of a whole event (`type` fixed) and of a topic's events, which the AsyncAPI documents name."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model

from contracts.envelope import CloudEvent
from contracts.events import PAYLOADS
from contracts.topics import TYPES_BY_TOPIC

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@functools.cache
def event_model(event_type: str) -> type[CloudEvent]:
    """The CloudEvent of one type: `type` is that type, `data` its payload."""
    return create_model(event_type + "Event", __base__=CloudEvent[PAYLOADS[event_type]], type=(Literal[event_type], ...))


@functools.cache
def topic_event(topic: str) -> Any:
    """What one record of `topic` carries: one of the topic's event types, told apart by `type`."""
    models = tuple(event_model(t) for t in TYPES_BY_TOPIC[topic])
    return models[0] if len(models) == 1 else Annotated[Union[models], Field(discriminator="type")]


def schema_of(event_type: str) -> dict[str, Any]:
    schema = event_model(event_type).model_json_schema(mode="validation")
    schema["$id"] = f"urn:township-events:{event_type}:1"
    schema["title"] = f"{event_type} (CloudEvents 1.0, structured JSON)"
    return schema


def rendered(event_type: str) -> str:
    return json.dumps(schema_of(event_type), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def path_of(event_type: str) -> Path:
    return SCHEMA_DIR / f"{event_type}.v1.schema.json"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for event_type in PAYLOADS:
        path_of(event_type).write_text(rendered(event_type), encoding="utf-8")
        print(f"wrote {path_of(event_type)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
