"""Where the visits service's rules live: the domain imports no storage and no I/O, the handlers take their
"today" from the clock they are given, and the fake repository offers what the real one does."""
from __future__ import annotations

import ast
import inspect
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

import visits
from tests.unit.visits.conftest import visit
from tests.unit.visits.fake_repository import FakeRepository
from visits.repository import Repository
from visits.requests import REQUEST_DAY

SERVICE = Path(visits.__file__).parent
FORBIDDEN_IN_DOMAIN = ("pymongo", "motor", "fastapi", "starlette", "httpx", "aiokafka", "faststream", "buildingblocks",
                       "visits.repository", "visits.handlers", "visits.api", "visits.app", "visits.requests", "os",
                       "socket", "asyncio")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def test_the_domain_imports_nothing_of_storage_or_io():
    for path in sorted((SERVICE / "domain").glob("*.py")):
        bad = {m for m in imports(path) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN)}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_handlers_go_through_the_domain_and_the_repository_only():
    found = imports(SERVICE / "handlers.py")
    assert {"visits.domain", "visits.repository"} <= found
    assert not {m for m in found if m.startswith(("pymongo", "fastapi", "buildingblocks.outbox", "contracts.envelope"))}


def test_no_code_of_the_service_reads_the_wall_clock():
    for path in sorted(SERVICE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", "date.today(", "datetime.utcnow(", "time.time("):
            assert call not in text, f"{path.relative_to(SERVICE)} calls {call}"


def test_the_fake_repository_offers_what_the_repository_does():
    def public(cls) -> dict[str, inspect.Signature]:
        return {n: inspect.signature(f) for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}

    real, fake = public(Repository), public(FakeRepository)
    assert set(real) <= set(fake)
    for name, signature in real.items():
        assert list(fake[name].parameters) == list(signature.parameters), name


def test_the_request_refuses_a_future_visit_on_the_day_of_the_request_and_names_the_field():
    REQUEST_DAY.set(date(2026, 3, 10))
    try:
        with pytest.raises(ValidationError) as bad:
            visit(date(2026, 3, 11))
        [error] = bad.value.errors()
        assert error["loc"] == ("visited_on",) and "a visit cannot be in the future (today is 2026-03-10)" in error["msg"]
        assert visit(date(2026, 3, 10)).visited_on == date(2026, 3, 10)
    finally:
        REQUEST_DAY.set(None)
    assert visit(date(2030, 1, 1))  # outside a request: the Visit itself judges the day, on its handler's clock
