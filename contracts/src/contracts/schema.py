"""JSON Schemas of the v1 events, generated from the models; `python -m contracts.schema` rewrites schemas/."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import create_model

from contracts.envelope import CloudEvent
from contracts.events import PAYLOADS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_of(event_type: str) -> dict[str, Any]:
    payload = PAYLOADS[event_type]
    model = create_model(event_type + "Event", __base__=CloudEvent[payload], type=(Literal[event_type], ...))
    schema = model.model_json_schema(mode="validation")
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
