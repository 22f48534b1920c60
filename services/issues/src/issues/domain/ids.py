"""Issue ids derived from where the issue came from, so that intake is idempotent."""
from __future__ import annotations

import uuid

_NS = uuid.UUID("8a0f9c3e-5b7d-4c1a-9e2f-3d6b1a7c5e90")


def issue_id_for_demand(township: str, demand_id: str) -> str:
    """One issue per visit demand, however often the VisitLogged comes."""
    return f"i-{uuid.uuid5(_NS, f'demand|{township}|{demand_id}')}"


def issue_id_for_report(sender: str, external_id: str) -> str:
    """One issue per sender (the CloudEvents source) and external id."""
    return f"i-{uuid.uuid5(_NS, f'report|{sender}|{external_id}')}"


def issue_id_for_request(township: str, idempotency_key: str) -> str:
    """One issue per township and Idempotency-Key: a retried POST finds the first issue."""
    return f"i-{uuid.uuid5(uuid.NAMESPACE_URL, f'{township}/{idempotency_key}')}"
