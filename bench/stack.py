"""The bench's own Kafka + store (infra/stack.sh on free ports, state in .state/bench; the store on its H2 file
backend, commit per write, as `make up` runs it) and the services as processes, each started with its own
database and consumer group and stopped by its own pid."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.private_stack import PrivateStack
from tests.support.processes import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("BENCH_STATE") or ROOT / ".state" / "bench")  # another folder: a second bench beside one
STACK = ROOT / "infra" / "stack.sh"
BACKEND = "file"  # production-like: what `make up` runs (STORE_BACKEND=memory is the test run's)
PROFILE = frozenset(m for m in os.environ.get("BENCH_PROFILE", "").split(",") if m)
RESERVED = frozenset({9092, 9093, 27017, 19092, 19093, 37017, 8001, 8002, 8003})


class Stack(PrivateStack):
    """The tests' private stack, on ports clear of the dev and test stacks, and with its logs kept after a run."""

    def __init__(self, state: Path = STATE):  # not the parent's: it picks a fresh state dir and any ports
        self.state = state
        self.kafka_port = free_port(pair=True, avoid=RESERVED)
        self.mongo_port = free_port(avoid=RESERVED | {self.kafka_port, self.kafka_port + 1})

    def start(self) -> "Stack":
        self.stop()  # whatever an interrupted earlier bench left running, by its pid files
        shutil.rmtree(self.state, ignore_errors=True)
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        done = subprocess.run([str(STACK), "start", str(self.state), str(self.kafka_port), str(self.mongo_port)],
                              capture_output=True, text=True, timeout=300, env={**os.environ, "STORE_BACKEND": BACKEND})
        if done.returncode != 0:
            raise RuntimeError(f"infra/stack.sh start failed:\n{done.stderr[-3000:]}")
        return self

    def stop(self) -> None:
        if self.state.exists():
            subprocess.run([str(STACK), "stop", str(self.state)], capture_output=True, timeout=180)


class ServiceProcess:
    """`python -m <module>` on a free port; its pid is also written to .state/bench/services/ so that
    `infra/stack.sh stop .state/bench` stops it should the bench itself die."""

    def __init__(self, module: str, stack: Stack, db: str, group: str = "", **extra_env: str):
        self.module = module
        self.port = free_port(avoid=RESERVED)
        self.env = {
            **os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap, "MONGODB_URI": stack.mongo_uri,
            "MONGODB_DB": db, "PORT": str(self.port), "HOST": "127.0.0.1", "LOG_LEVEL": "info", **extra_env,
        }
        if group:
            self.env["CONSUMER_GROUP"] = group
        self.name = f"{module}-{self.port}"
        self.log_path = stack.state / "logs" / f"{self.name}.log"
        self.pid_path = stack.state / "services" / f"{self.name}.pid"
        self.proc: subprocess.Popen | None = None
        self.spawned_at = 0.0
        self.spawns = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> "ServiceProcess":
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.spawned_at = time.monotonic()
        command = [sys.executable, "-m", self.module]
        if self.module in PROFILE:  # BENCH_PROFILE=visits,reporting: cProfile each such process, one file per spawn
            self.spawns += 1
            prof = self.log_path.with_name(f"{self.name}.{self.spawns}.prof")
            command = [sys.executable, "-m", "bench.profiled", str(prof), self.module]
        self.proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=log, cwd=ROOT)
        log.close()
        self.pid_path.write_text(str(self.proc.pid))
        return self

    def wait_healthy(self, timeout_s: float = 90.0) -> float:
        """Block until /health is 200; returns the monotonic time it first was."""
        return wait_healthy(self.proc, self.url, timeout_s, self.module, self.log_path, every_s=0.1)

    def start(self, timeout_s: float = 90.0) -> "ServiceProcess":
        self.spawn()
        self.wait_healthy(timeout_s)
        return self

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM by pid, SIGKILL after `grace_s`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                if self.module in PROFILE:  # uvicorn's forced quit still ends through the profile's dump
                    self.proc.send_signal(signal.SIGINT)
                    try:
                        self.proc.wait(20)
                    except subprocess.TimeoutExpired:
                        pass
                if self.proc.poll() is None:
                    self.proc.send_signal(signal.SIGKILL)
                    self.proc.wait(10)
        self.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.pid_path.unlink(missing_ok=True)


class Processes:
    """Every service process the bench started, so that the end of the run stops them all."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.started: list[ServiceProcess] = []

    def new(self, module: str, db: str, group: str = "", **env: str) -> ServiceProcess:
        p = ServiceProcess(module, self.stack, db, group, **env)
        self.started.append(p)
        return p

    def stop_all(self) -> None:
        for p in reversed(self.started):
            try:
                p.stop(grace_s=10)
            except Exception:
                p.kill()
