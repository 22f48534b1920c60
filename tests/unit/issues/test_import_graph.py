"""The import graph of the issues service: handlers → domain and handlers → repository, never domain → storage or
domain → I/O; the repository is the only module that knows the documents."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import issues

PACKAGE = Path(issues.__file__).parent
DOMAIN = PACKAGE / "domain"
# What the domain may import: the standard library's pure parts, the contracts, pydantic, itself.
PURE = {"__future__", "collections", "dataclasses", "datetime", "enum", "re", "types", "typing", "typing_extensions",
        "uuid", "pydantic", "contracts"}
STORAGE_OR_IO = ("pymongo", "bson", "motor", "aiokafka", "faststream", "fastapi", "starlette", "httpx", "uvicorn",
                 "buildingblocks")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
    return found


def test_the_domain_imports_only_pure_modules_and_itself():
    for path in DOMAIN.glob("*.py"):
        for name in imports(path):
            assert name.split(".")[0] in PURE or name.startswith("issues.domain"), f"{path.name} imports {name}"


def test_importing_the_domain_loads_no_storage_no_io_and_nothing_else_of_the_service():
    code = "import sys, json, issues.domain; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert [m for m in loaded if m.split(".")[0] in STORAGE_OR_IO] == []
    assert [m for m in loaded if m.startswith("issues.") and not m.startswith("issues.domain")] == []


def test_the_domain_never_reads_a_clock():
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "today", "utcnow", "time_ns"):
                raise AssertionError(f"{path.name}:{node.lineno} reads .{node.attr}")


def test_only_the_repository_knows_the_documents():
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "repository.py":
            continue
        assert "pymongo" not in text, path.name
        if path.name != "app.py":  # the composition root starts the outbox's relay
            assert "buildingblocks import outbox" not in text, path.name
        for word in ('"_id"', '"$push"', '"$set"', '"$inc"', '"outbox"', "outbox_unsent"):
            assert word not in text, f"{path.name} knows {word}"


def test_the_handlers_reach_storage_through_the_repository_only():
    handlers = imports(PACKAGE / "handlers.py")
    assert {"issues.domain", "issues.repository"} <= handlers
    assert not [n for n in handlers if n.split(".")[0] in ("pymongo", "bson", "aiokafka", "faststream")]


def test_nothing_in_the_service_reads_the_wall_clock_itself():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in ("datetime.now(", "date.today(", "datetime.utcnow(", "time.time("):
            assert call not in text, f"{path.relative_to(PACKAGE)} calls {call}"
