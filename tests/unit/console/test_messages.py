"""A service's refusal in the Chinese a clerk reads, naming the field."""
from __future__ import annotations

from console.messages import explain
from console.upstream import ServiceError


def err(status, body):
    return ServiceError(status, body, "visits")


def test_a_422_names_each_field_in_chinese():
    p = explain(err(422, {"detail": [
        {"loc": ["body", "visited_on"], "msg": "Value error, a visit cannot be in the future (today is 2026-03-02)"},
        {"loc": ["body", "demands", 0, "description"], "msg": "String should have at least 1 character"},
    ]}))
    assert p.fields == {"visited_on": "不能晚于今天", "demands.0.description": "不能为空"}
    assert "走访日期：不能晚于今天" in p.message and "诉求第1条的诉求内容：不能为空" in p.message


def test_a_model_level_check_names_its_field_first():
    p = explain(err(422, {"detail": [{"loc": ["body"], "msg": "Value error, visitor_ids: a joint visit needs at least two officials"}]}))
    assert p.fields == {"visitor_ids": "联合走访至少需要两名走访人员"}


def test_refusals_and_failures_are_plain_chinese_never_a_trace():
    assert "没有权限" in explain(err(403, {"detail": "this token may not do that here"})).message
    assert "已存在" in explain(err(409, {"detail": "enterprise 91… already exists"})).message
    assert "另一份内容" in explain(err(409, {"detail": "this Idempotency-Key was already used for a different request"})).message
    down = explain(err(503, {"detail": "ConnectError"}))
    assert "暂时不可用" in down.message and "已保留" in down.message
    assert "500" in explain(err(500, {"detail": "Traceback ..."})).message
    assert "Traceback" not in explain(err(500, {"detail": "Traceback ..."})).message
    assert "企业 X1" in explain(err(404, {"detail": "unknown enterprise: X1", "unknown": {"enterprise": ["X1"]}})).message
