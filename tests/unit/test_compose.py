"""docker-compose.yml must agree with CONTRACTS.md and the local stack (no Docker engine needed to check that)."""
from __future__ import annotations

import ast
import http.server
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# CONTRACTS.md section 2: the same ports locally and in compose.
CONTRACT_PORTS = {"visits": 8001, "issues": 8002, "reporting": 8003, "notifier": 8004}
APP_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "MONGODB_DB", "HOST")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def port_mappings(service: dict) -> list[tuple[int, int]]:
    """(published, target) pairs from the short ("[ip:]host:container[/proto]") or long syntax."""
    pairs = []
    for p in service.get("ports", []):
        if isinstance(p, dict):
            pairs.append((int(p["published"]), int(p["target"])))
        else:
            parts = str(p).split("/")[0].split(":")
            assert len(parts) >= 2, f"port {p!r} is not published on a fixed host port"
            pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


def default_port(name: str) -> int:
    """The `PORT = ...` constant of services/<svc>/src/<svc>/settings.py: what the service binds without PORT."""
    tree = ast.parse((ROOT / "services" / name / "src" / name / "settings.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PORT" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name}/settings.py has no module-level PORT")


def listen_port(service: dict, name: str) -> int:
    return int(env_of(service).get("PORT", default_port(name)))


def health_snippet(service: dict) -> str:
    test = service["healthcheck"]["test"]
    assert isinstance(test, list) and test[0] == "CMD", test
    cmd = test[1:]
    assert cmd[:2] == ["python", "-c"], cmd
    return cmd[2]


def test_top_level_name_and_volumes(compose: dict) -> None:
    assert compose["name"] == "township-visits"
    declared = set(compose.get("volumes") or {})
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            source = vol["source"] if isinstance(vol, dict) else str(vol).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"
    assert {"kafka-data", "mongo-data"} <= declared


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_ports_match_contract(services: dict, name: str) -> None:
    svc = services[name]
    port = CONTRACT_PORTS[name]
    assert port_mappings(svc) == [(port, port)]
    assert listen_port(svc, name) == port
    # The local stack runs without PORT, so the default must be the contract port too.
    assert default_port(name) == port


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_env_and_command(services: dict, name: str) -> None:
    svc = services[name]
    env = env_of(svc)
    for key in APP_ENV:
        assert env.get(key), f"{name} does not set {key}"
    assert env["MONGODB_DB"] == name
    assert env["HOST"] == "0.0.0.0"  # 127.0.0.1 would be unreachable through the published port
    assert argv(svc["command"]) == ["python", "-m", name]
    assert svc.get("build") == "." or svc["build"].get("context") == "."


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_backends_are_the_compose_ones(services: dict, name: str) -> None:
    env = env_of(services[name])
    kafka_env = env_of(services["kafka"])
    advertised = {urlsplit(l).netloc for l in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    for server in env["KAFKA_BOOTSTRAP_SERVERS"].split(","):
        assert server in advertised, f"{name} bootstraps from {server}, not an advertised listener"
    mongo = urlsplit(env["MONGODB_URI"])
    assert mongo.scheme == "mongodb" and mongo.hostname == "mongo" and (mongo.port or 27017) == 27017
    assert "directConnection=true" in mongo.query


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_depends_on_infra_and_topics(services: dict, name: str) -> None:
    deps = services[name]["depends_on"]
    assert deps["kafka"]["condition"] == "service_healthy"
    assert deps["mongo"]["condition"] == "service_healthy"
    assert deps["topics"]["condition"] == "service_completed_successfully"


def test_depends_on_targets_are_satisfiable(services: dict) -> None:
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: use the long depends_on form with conditions"
        for target, spec in deps.items():
            assert target in services, f"{name} depends on unknown service {target}"
            target_svc = services[target]
            if spec["condition"] == "service_healthy":
                hc = target_svc.get("healthcheck") or {}
                assert hc.get("test") and not hc.get("disable"), f"{target} has no healthcheck but {name} waits for it"
            elif spec["condition"] == "service_completed_successfully":
                # A job that restarts after exiting 0 never counts as completed.
                assert target_svc.get("restart", "no") == "no", target


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_healthcheck_hits_its_own_port(services: dict, name: str) -> None:
    svc = services[name]
    snippet = health_snippet(svc)
    assert "/health" in snippet and "127.0.0.1" in snippet
    literal = re.search(r"127\.0\.0\.1:(\d+)/health", snippet)
    if literal:
        checked = int(literal.group(1))
    else:
        assert re.search(r"os\.environ\[['\"]PORT['\"]\]", snippet), snippet
        checked = int(env_of(svc)["PORT"])
    assert checked == listen_port(svc, name)


class _Stub(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_service_healthcheck_command_really_checks(services: dict, status: int, healthy: bool) -> None:
    """Run the compose healthcheck snippet against a stub on a free port: exit 0 only on a 200."""
    handler = type("Handler", (_Stub,), {"status": status})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in CONTRACT_PORTS:
            snippet = re.sub(r"127\.0\.0\.1:\d+/", f"127.0.0.1:{port}/", health_snippet(services[name]))
            rc = subprocess.run([sys.executable, "-c", snippet], env={"PORT": str(port)},
                                capture_output=True, timeout=20).returncode
            assert (rc == 0) is healthy, (name, status, rc)
    finally:
        server.shutdown()
        server.server_close()


def test_topics_job(services: dict) -> None:
    topics = services["topics"]
    assert argv(topics["command"]) == ["python", "-m", "buildingblocks.topics"]
    assert topics.get("restart") == "no"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert env_of(topics)["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
    assert (ROOT / "buildingblocks/src/buildingblocks/topics.py").is_file()


def test_kafka_is_a_single_node_kraft_broker(services: dict) -> None:
    kafka = services["kafka"]
    env = env_of(kafka)
    assert kafka["image"] == "apache/kafka:4.1.1"
    assert env["CLUSTER_ID"]
    node_id = env["KAFKA_NODE_ID"]
    assert node_id == "1"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")[0] == node_id
    # One broker: any factor or min ISR above 1 would leave the internal topics uncreatable.
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
                "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR"):
        assert env.get(key) == "1", key
    listeners = dict(l.split("://") for l in env["KAFKA_LISTENERS"].split(","))
    assert listeners["INTERNAL"] == ":19092" and listeners["EXTERNAL"] == ":9092"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "INTERNAL://kafka:19092,EXTERNAL://localhost:9092"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    assert port_mappings(kafka) == [(9092, 9092)]
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_mongo(services: dict) -> None:
    mongo = services["mongo"]
    assert mongo["image"] == "mongo:8"
    assert port_mappings(mongo) == [(27017, 27017)]
    assert mongo["healthcheck"]["test"][:2] == ["CMD", "mongosh"]
    assert "ping" in " ".join(mongo["healthcheck"]["test"])


def test_dockerfile_installs_every_service() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    # The install spans continuation lines; join them so the package list reads as one command.
    install = re.search(r"pip install (.+?)&&", dockerfile.replace("\\\n", " "), re.S).group(1).split()
    assert "-c" in install and "requirements.txt" in dockerfile, "the image must use CI's pinned versions"
    for pkg in ("./contracts", "./buildingblocks", *(f"./services/{s}" for s in CONTRACT_PORTS)):
        assert pkg in install, pkg
    assert re.search(r"^USER (?!root\b|0\b)\S+", dockerfile, re.M), "the image must not run as root"
    assert "fonts-wqy-microhei" in dockerfile, "the reporting documents need the CJK font"
    reporting = (ROOT / "services" / "reporting" / "pyproject.toml").read_text(encoding="utf-8")
    for dep in ("python-docx", "reportlab", "matplotlib", "openpyxl"):  # the image installs each package's own
        assert dep in reporting, dep
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not {"contracts", "buildingblocks", "services"} & set(ignored)


@pytest.mark.parametrize("name", sorted(CONTRACT_PORTS))
def test_service_entry_point_exists(name: str) -> None:
    """`python -m <svc>` in compose needs the package's __main__."""
    assert (ROOT / "services" / name / "pyproject.toml").is_file()
    assert (ROOT / "services" / name / "src" / name / "__main__.py").is_file()
