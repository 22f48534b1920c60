"""Pure: the Chinese names a document prints — the townships' and the county's from TownshipRegistered, the units'
from UnitRegistered — each the latest by event time (then event id), as the registries last said."""
from __future__ import annotations

from typing import Any

from reporting.facts import TOWNSHIPS, UNITS


def _latest(docs: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for d in docs:
        k = d[key]
        if k not in out or (d["time"], d["event_id"]) > (out[k]["time"], out[k]["event_id"]):
            out[k] = d
    return out


def of_townships(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """{"county": the county's name (the one most townships name; ties: by name), "townships": {id: name}}."""
    latest = _latest(docs, "township")
    counties: dict[str, int] = {}
    for d in latest.values():
        counties[d["county"]] = counties.get(d["county"], 0) + 1
    county = min(counties, key=lambda c: (-counties[c], c)) if counties else None
    return {"county": county, "townships": {t: d["name"] for t, d in sorted(latest.items())}}


def of_units(docs: list[dict[str, Any]]) -> dict[str, str]:
    return {u: d["name"] for u, d in sorted(_latest(docs, "unit_id").items())}


def frozen(facts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The names as of a log position (the facts read up to it): what a bulletin freezes."""
    return {**of_townships(facts.get(TOWNSHIPS, [])), "units": of_units(facts.get(UNITS, []))}
