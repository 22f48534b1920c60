"""Pure: the ledgers (台账) a clerk files — the issue ledger (问题台账) and the visit ledger (走访台账) of a township or
the county for a period — as rows with every column, written as CSV or XLSX by `exports.table`.

The issue ledger lists the enterprises' issues (not the findings) of the facts given that were raised in the period,
or closed in it, or open at its end — exactly the issues the report counts in `issues_raised`, `issues_closed` and
`issues_open_at_end`, with the report's counted close (`report.issues_of`: a close does not stand once a later
reopening exists). Each row shows the issue as at the period's end E: the deadline and the responsible unit in force
on E, the close only if it stands and is dated on or before E, acknowledgements and returns dated on or before E.

The visit ledger lists the visits with `visited_on` in the period, by date, then township, then visit id.

Facts stored before a field existed lack it: its column is blank (None), never an error.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from reporting import exports, names as registry_names
from reporting.facts import (
    ACKNOWLEDGED,
    ASSIGNED,
    CLOSED,
    ENTERPRISES,
    FOLLOWED_UP,
    REOPENED,
    RETURNED,
    VISITS,
)
from reporting.report import Period, carried_names, issues_of

Facts = dict[str, list[dict]]

ISSUE_COLUMNS = [
    ("township", "乡镇"), ("issue_id", "问题编号"), ("enterprise_name", "企业名称"), ("enterprise_id", "统一社会信用代码"),
    ("source", "来源"), ("category", "问题类别"), ("description", "诉求内容"), ("raised_on", "提出日期"),
    ("unit", "责任单位"), ("deadline", "办理时限"), ("closed_on", "办结日期"), ("on_time", "是否按时办结"),
    ("outcome", "办理结果"), ("resolution", "办理情况"), ("satisfaction", "满意度"), ("state_at_end", "期末状态"),
    ("acknowledged_on", "签收日期"), ("returns", "退回次数"),
]
VISIT_COLUMNS = [
    ("township", "乡镇"), ("visit_id", "走访编号"), ("visited_on", "走访日期"), ("enterprise_name", "企业名称"),
    ("enterprise_id", "统一社会信用代码"), ("channel", "走访方式"), ("kind", "走访类型"), ("visitors", "走访人员"),
    ("county_leader", "县级领导参加"), ("services", "四送内容"), ("demands", "收集诉求"), ("demand_count", "诉求数"),
    ("demands_on_spot", "现场解决数"), ("summary", "走访情况"),
]

# The Chinese of the contract's enumerations (contracts/enums.py), as the console words them.
CATEGORY = exports.CATEGORY
SATISFACTION = exports.SATISFACTION
SOURCE = {"visit": "走访", "hotline": "12345热线", "platform": "企业服务平台", "leader": "领导交办", "other": "其他"}
OUTCOME = {"resolved": "已解决", "explained": "解释说明", "not_in_scope": "不属职责", "duplicate": "重复诉求"}
CHANNEL = {"in_person": "实地走访", "phone": "电话走访", "remote": "视频/线上走访"}
KIND = {"routine": "日常走访", "visit_day": "企业走访日", "walkthrough": "一把手走流程", "joint": "联合走访"}
SERVICE = {"policy": "送政策", "warmth": "送温暖", "vitality": "送活力", "confidence": "送信心"}
# 期末状态: closed by E; else open at E — overdue, reopened, returned (waiting to be routed again), or simply open.
CLOSED_STATE, OVERDUE, REOPENED_STATE, RETURNED_STATE, OPEN = "已办结", "超期未办结", "已重新打开", "已退回待重新交办", "未办结"


def _word(words: dict[str, str], value: Optional[str]) -> Optional[str]:
    return words.get(value, value) if value else None


def _by_issue(docs: Iterable[dict]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for d in docs:
        out.setdefault((d["township"], d["issue_id"]), []).append(d)
    return out


def _scoped(facts: Facts, township: Optional[str]) -> Facts:
    if township is None:
        return facts
    return {name: [d for d in docs if d.get("township") == township] for name, docs in facts.items()}


def enterprise_names(facts: Facts) -> dict[tuple[str, str], str]:
    """(township, enterprise_id) → the name of its latest registration (by registered_on, then event id)."""
    latest: dict[tuple[str, str], tuple[str, str, str]] = {}
    for d in facts.get(ENTERPRISES, []):
        k, seen = (d["township"], d["enterprise_id"]), (d.get("registered_on") or "", d.get("event_id") or "", d.get("name") or "")
        if k not in latest or seen > latest[k]:
            latest[k] = seen
    return {k: v[2] for k, v in latest.items() if v[2]}


class UnitNames:
    """A unit's name as the per-unit table names it: a registered unit's latest UnitRegistered, else the latest name
    the scope's issue events carried with its id, else the free text of the routing (else the id itself)."""

    def __init__(self, facts: Facts, registry: Optional[list[dict]]):
        self.registered = registry_names.of_units(registry or [])
        self.carried = carried_names(facts)

    def __call__(self, unit_id: Optional[str], text: Optional[str]) -> Optional[str]:
        if not unit_id:
            return text or None
        return self.registered.get(unit_id) or self.carried.get(unit_id, [None, None])[1] or text or unit_id


def issue_rows(facts: Facts, period: Period, names: Optional[dict[str, str]] = None,
               units: Optional[list[dict]] = None, township: Optional[str] = None) -> list[dict[str, Any]]:
    """The issue ledger (问题台账): one row per issue raised in the period, closed in it, or open at its end, by
    提出日期, then township, then issue id. `names`: township id → Chinese name (else the id); `units`: the unit
    registry's facts (`Store.units()`); `township`: keep only that township's facts (None: all those given)."""
    facts = _scoped(facts, township)
    names = names or {}
    s, e = period.start.isoformat(), period.end.isoformat()
    firms = enterprise_names(facts)
    unit_name = UnitNames(facts, units)
    assigned, acks = _by_issue(facts.get(ASSIGNED, [])), _by_issue(facts.get(ACKNOWLEDGED, []))
    returns, follow_ups = _by_issue(facts.get(RETURNED, [])), _by_issue(facts.get(FOLLOWED_UP, []))
    closes, reopens = _by_issue(facts.get(CLOSED, [])), _by_issue(facts.get(REOPENED, []))

    rows = []
    for k, issue in issues_of(facts).items():
        t, issue_id = k
        closed_on = issue.closed_on()  # the counted close, if it stands
        closed = closed_on is not None and closed_on <= e
        open_at_end = issue.raised_on <= e and not closed
        if not (s <= issue.raised_on <= e or (closed and s <= closed_on) or open_at_end):
            continue
        raise_ = issue.raised or {}
        close = issue.close if closed else None

        # The responsible unit in force on E: the closing unit, else the latest routing (the raise, IssueAssigned) by E.
        routings = [(d["assigned_on"], d["time"], 1, d) for d in assigned.get(k, []) if d["assigned_on"] <= e]
        if issue.raised is not None and issue.raised["raised_on"] <= e:
            routings.append((issue.raised["raised_on"], issue.raised["time"], 0, issue.raised))
        routing = max(routings, key=lambda r: r[:3])[3] if routings else None
        if close is not None and close.get("unit_id"):
            same = routing is not None and routing.get("unit_id") == close["unit_id"]
            unit = unit_name(close["unit_id"], routing.get("responsible_unit") if same else None)
        elif routing is not None:
            unit = unit_name(routing.get("unit_id"), routing.get("responsible_unit"))
        else:
            unit = None

        satisfaction = None
        if close is not None:
            after = [f for f in follow_ups.get(k, []) if (f["followed_up_on"], f["time"]) >= (close["closed_on"], close["time"])]
            latest = max(after, key=lambda f: (f["followed_up_on"], f["time"]), default=None)
            satisfaction = latest["satisfaction"] if latest else close.get("satisfaction")

        returned = [d for d in returns.get(k, []) if d["returned_on"] <= e]
        ack = max((a for a in acks.get(k, []) if a["acknowledged_on"] <= e), key=lambda a: (a["acknowledged_on"], a["time"]),
                  default=None)
        deadline = issue.deadline_at(e)
        if closed:
            state = CLOSED_STATE
        elif deadline < e:
            state = OVERDUE
        elif _reopened_by(closes.get(k, []), reopens.get(k, []), e):
            state = REOPENED_STATE
        elif returned and max((d["returned_on"], d["time"]) for d in returned) > max(((r[0], r[1]) for r in routings), default=("", "")):
            state = RETURNED_STATE
        else:
            state = OPEN

        rows.append(((issue.raised_on, t, issue_id), {
            "township": names.get(t) or t, "issue_id": issue_id, "enterprise_name": firms.get((t, issue.enterprise_id)),
            "enterprise_id": issue.enterprise_id, "source": _word(SOURCE, raise_.get("source")),
            "category": _word(CATEGORY, issue.category), "description": raise_.get("description") or None,
            "raised_on": issue.raised_on, "unit": unit, "deadline": deadline,
            "closed_on": closed_on if closed else None,
            "on_time": ("是" if closed_on <= close["deadline"] else "否") if close else None,
            "outcome": _word(OUTCOME, close.get("outcome")) if close else None,
            "resolution": (close.get("resolution") or None) if close else None,
            "satisfaction": _word(SATISFACTION, satisfaction),
            "state_at_end": state, "acknowledged_on": ack["acknowledged_on"] if ack else None, "returns": len(returned),
        }))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _reopened_by(closes: list[dict], reopens: list[dict], e: str) -> bool:
    """Reopened on or before E, and not closed again by E."""
    reopen = max(((r["reopened_on"], r["time"]) for r in reopens if r["reopened_on"] <= e), default=None)
    close = max(((c["closed_on"], c["time"]) for c in closes if c["closed_on"] <= e), default=None)
    return reopen is not None and (close is None or reopen > close)


def visit_rows(facts: Facts, period: Period, names: Optional[dict[str, str]] = None,
               township: Optional[str] = None) -> list[dict[str, Any]]:
    """The visit ledger (走访台账): one row per visit with `visited_on` in the period, by date, then township, then
    visit id. `names`: township id → Chinese name (else the id); `township`: keep only that township's facts."""
    facts = _scoped(facts, township)
    names = names or {}
    s, e = period.start.isoformat(), period.end.isoformat()
    firms = enterprise_names(facts)
    visits = {(d["township"], d["visit_id"]): d for d in facts.get(VISITS, []) if s <= d["visited_on"] <= e}
    rows = []
    for (t, visit_id), v in sorted(visits.items(), key=lambda kv: (kv[1]["visited_on"], *kv[0])):
        visitors = v.get("visitors") or []  # the first is the lead
        services = set(v.get("services") or ())
        demand_list = v.get("demand_list")
        rows.append({
            "township": names.get(t) or t, "visit_id": visit_id, "visited_on": v["visited_on"],
            "enterprise_name": firms.get((t, v["enterprise_id"])), "enterprise_id": v["enterprise_id"],
            "channel": _word(CHANNEL, v.get("channel")), "kind": _word(KIND, v.get("kind")),
            "visitors": "、".join(o.get("name") or o.get("official_id") or "" for o in visitors) or None,
            "county_leader": "是" if any(o.get("rank") == "county" for o in visitors) else "否",
            "services": "、".join([SERVICE[x] for x in SERVICE if x in services] +
                                 sorted(x for x in services if x not in SERVICE)) or None,  # 四送, in their order
            "demands": ("；".join(f"{_word(CATEGORY, d.get('category')) or ''}：{d.get('description') or ''}"
                                 for d in demand_list) or None) if demand_list else None,
            "demand_count": v.get("demands", len(demand_list) if demand_list is not None else None),
            "demands_on_spot": v.get("demands_on_spot"), "summary": v.get("summary") or None,
        })
    return rows


# kind (the URL's last segment) → (title, columns, rows of (facts, period, names, units))
LEDGERS = {
    "issues": ("问题台账", ISSUE_COLUMNS, lambda facts, p, names, units: issue_rows(facts, p, names, units)),
    "visits": ("走访台账", VISIT_COLUMNS, lambda facts, p, names, units: visit_rows(facts, p, names)),
}


def ledger(kind: str, facts: Facts, period: Period, fmt: str, names: Optional[dict[str, str]] = None,
           units: Optional[list[dict]] = None) -> tuple[bytes, str]:
    """The ledger `kind` ("issues" or "visits") of the facts given as a CSV (UTF-8 with BOM) or XLSX file, and its
    title (问题台账, 走访台账)."""
    title, columns, rows = LEDGERS[kind]
    return exports.table(rows(facts, period, names, units), columns, fmt, f"{period.text}{title}"), title
