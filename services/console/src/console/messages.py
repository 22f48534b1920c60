"""A service's refusal as a person reads it: one Chinese sentence, and per field what is wrong."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from console.upstream import ServiceError
from console.words import label

STATUS = {
    400: "请求有误。",
    401: "登录已失效，请重新登录。",
    403: "您没有权限进行此操作（只能处理本乡镇的数据，且只读账号不能修改）。",
    404: "没有找到要查看的记录。",
    409: "与已有记录冲突。",
    413: "文件太大。",
    422: "填写的内容有误，请按提示修改。",
    429: "操作太频繁，请稍后再试。",
}
UNAVAILABLE = "服务暂时不可用，请稍后重试；您填写的内容已保留。"

# The services' English refusals that a person meets, in Chinese. Order matters: the first match wins.
PHRASES = [
    (r"field required|missing", "必填"),
    (r"a visit cannot be in the future|cannot be in the future", "不能晚于今天"),
    (r"check character \(position 18\)", "第18位校验位不正确（由前17位按 GB 32100 计算得出）"),
    (r"position 17|organi[sz]ation code", "第9-17位组织机构代码的校验位（第17位）不正确"),
    (r"positions 3-8", "第3-8位应为6位行政区划代码"),
    (r"not allowed in a USCC", "含有不允许的字符（不使用 I、O、Z、S、V）"),
    (r"USCC|18 characters|uscc", "统一社会信用代码应为18位（数字和大写字母，不含I、O、Z、S、V）"),
    (r"at least two officials", "联合走访至少需要两名走访人员"),
    (r"is listed twice", "重复选择了同一项"),
    (r"should have at least 1 item|at least 1 item", "至少选择一项"),
    (r"string should have at least|at least 1 character", "不能为空"),
    (r"string should have at most|at most", "内容太长"),
    (r"input should be|not a valid enumeration", "不在可选范围内"),
    (r"valid date|date", "日期格式不正确"),
    (r"greater than or equal|less than or equal|between", "超出允许的范围"),
    (r"ends before it starts", "结束日期早于开始日期"),
    (r"extra inputs are not permitted", "不允许的字段"),
    (r"already exists", "已存在"),
]


@dataclass
class Problem:
    message: str
    fields: dict[str, str] = field(default_factory=dict)  # form field → Chinese reason
    detail: Any = None  # the service's body, for pages that show more (the guard's last visit)
    status: int = 0


def phrase(text: str) -> str:
    for pattern, chinese in PHRASES:
        if re.search(pattern, text, re.IGNORECASE):
            return chinese
    return "填写有误"


def _field_of(loc: list) -> str:
    names = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(names) if names else ""


def explain(err: ServiceError) -> Problem:
    body = err.body if isinstance(err.body, dict) else {"detail": err.body}
    detail = body.get("detail")
    if err.status >= 500:
        return Problem(UNAVAILABLE if err.status == 503 else f"服务出错（{err.status}），请稍后重试；您填写的内容已保留。",
                       status=err.status)
    if err.status == 422 and isinstance(detail, list):
        fields: dict[str, str] = {}
        for item in detail:
            where = _field_of(item.get("loc", []))
            msg = str(item.get("msg", ""))
            if where == "" and ": " in msg:  # a model-level check names its field first ("visitor_ids: …")
                where, _, msg = msg.partition(": ")
            where = where.removeprefix("Value error, ")
            fields.setdefault(where or "form", phrase(msg))
        named = "；".join(f"{label(f.split('.')[0])}{_index(f)}：{m}" for f, m in fields.items())
        return Problem(f"填写的内容有误：{named}。", fields, body, 422)
    if err.status == 409:
        return Problem(_conflict(str(detail or "")), detail=body, status=409)
    if err.status == 404 and isinstance(body.get("unknown"), dict):
        what = {"enterprise": "企业", "official": "干部", "visit": "走访记录", "issue": "问题"}
        names = "；".join(f"{what.get(k, k)} {'、'.join(v)}" for k, v in body["unknown"].items())
        return Problem(f"没有找到：{names}。", status=404, detail=body)
    return Problem(STATUS.get(err.status, f"操作未成功（{err.status}）。"), status=err.status, detail=body)


def _index(where: str) -> str:
    parts = where.split(".")
    numbers = [p for p in parts[1:] if p.isdigit()]
    rest = [p for p in parts[1:] if not p.isdigit()]
    text = "".join(f"第{int(n) + 1}条" for n in numbers)
    return text + ("的" + "、".join(label(r) for r in rest) if rest else "")


def _conflict(detail: str) -> str:
    if "Idempotency-Key" in detail:
        return "这张表单已经提交过另一份内容；请刷新页面后重新填写。"
    if "already exists" in detail:
        return "该记录已存在，无需重复登记。"
    if "already assigned" in detail:
        return "该干部已是这家企业的包抓领导。"
    if "being changed by someone else" in detail:
        return "这家企业正被他人同时修改，请稍后再提交一次。"
    if "already published" in detail:
        return "该期通报已经发布过，发布后的通报不能修改。"
    if "quiet period" in detail:
        return "这家企业在免扰期内刚被走访过。"
    if "closed" in detail:
        return "该问题的状态已变化（可能已办结），请刷新后再操作。"
    return "与已有记录冲突：" + detail
