"""The tests' own reading of a report: which figures a document must print, each as it must be printed (written here
again, not imported, so a change of format in outline.py shows)."""
from __future__ import annotations

from typing import Any, Iterator

from reporting.documents.outline import LABELS
from reporting.exports import CATEGORY

NOT_FIGURES = {"township", "period", "period_start", "period_end"}
BLOCKS = {"previous_period": "上期", "same_period_last_year": "去年同期"}


def printed(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if key.startswith(("mean_", "p90_")):
        return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    assert isinstance(value, int), (key, value)
    return str(value)


def figures_of(report: dict[str, Any], who: str, whole: bool = True) -> Iterator[tuple[str, str]]:
    """Every figure of the report as (label, printed value), iterating the report's own fields. `whole`: also its
    by-category counts and comparison blocks (a township's row in the county document carries neither)."""
    for key, value in report.items():
        if key in NOT_FIGURES:
            continue
        if key == "by_category":
            if whole:
                for code, counts in value.items():
                    for k, label in (("raised", "新增"), ("closed", "办结"), ("open_at_end", "期末未办结")):
                        yield f"{who}·{CATEGORY.get(code, code)}·{label}", str(counts[k])
        elif key in BLOCKS:
            if whole and isinstance(value, dict):
                for k, v in value.items():
                    if k != "period":
                        yield f"{who}·{LABELS[k]}·{BLOCKS[key]}", printed(k, v)
        elif isinstance(value, dict):
            for k, v in value.items():
                yield f"{who}·{LABELS[f'{key}.{k}']}", printed(k, v)
        else:
            assert key in LABELS, f"the report's field {key} has no label: the documents would not print it"
            yield f"{who}·{LABELS[key]}", printed(key, value)


def all_figures(bulletin: dict[str, Any]) -> list[tuple[str, str]]:
    names = (bulletin.get("names") or {}).get("townships") or {}
    report = bulletin["report"]
    if bulletin["scope"] != "county":
        out = list(figures_of(report, names.get(bulletin["scope"], bulletin["scope"])))
    else:
        out = list(figures_of(report["total"], "全县"))
        for t in report["townships"]:
            out += figures_of(t, names.get(t["township"], t["township"]), whole=False)
        for r in report["ranking"]:
            out.append((f"排名·{names.get(r['township'], r['township'])}·综合得分", f"{r['score'] * 100:.1f}"))
    units = (bulletin.get("names") or {}).get("units") or {}
    for row in bulletin.get("units") or []:
        name = units.get(row["unit_id"] or "") or row["name"]
        for k, label in (("received", "交办"), ("acknowledged", "签收"), ("acknowledged_on_time", "按时签收"), ("closed", "办结"),
                         ("closed_on_time", "按时办结"), ("resolved", "解决"), ("returned", "退回"), ("followed_up", "回访"),
                         ("satisfied", "满意")):
            out.append((f"{name}·{label}", str(row[k])))
    return out
