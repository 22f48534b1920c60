"""The bench's own Kafka + FerretDB (infra/stack.sh on free ports, state in .state/bench) and the services as
processes, each started with its own database and consumer group and stopped by its own pid."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".state" / "bench"
STACK = ROOT / "infra" / "stack.sh"
RESERVED = {9092, 9093, 27017, 19092, 19093, 37017, 8001, 8002, 8003}


def free_port(pair: bool = False) -> int:
    """A free port (with p+1 free too when `pair`: Kafka's controller listens on p+1), never a reserved one."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p in RESERVED or p + 1 in RESERVED or p > 65000:
            continue
        if not pair:
            return p
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", p + 1))
                return p
            except OSError:
                continue
    raise RuntimeError("no free port")


class Stack:
    def __init__(self, state: Path = STATE):
        self.state = state
        self.kafka_port = free_port(pair=True)
        self.mongo_port = free_port()
        while self.mongo_port in (self.kafka_port, self.kafka_port + 1):
            self.mongo_port = free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/?directConnection=true"

    def start(self) -> "Stack":
        self.stop()  # whatever an interrupted earlier bench left running, by its pid files
        shutil.rmtree(self.state, ignore_errors=True)
        (self.state / "logs").mkdir(parents=True, exist_ok=True)
        done = subprocess.run([str(STACK), "start", str(self.state), str(self.kafka_port), str(self.mongo_port)],
                              capture_output=True, text=True, timeout=300)
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
        self.port = free_port()
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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> "ServiceProcess":
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.spawned_at = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", self.module], env=self.env, stdout=log, stderr=log,
                                     cwd=ROOT)
        log.close()
        self.pid_path.write_text(str(self.proc.pid))
        return self

    def wait_healthy(self, timeout_s: float = 90.0) -> float:
        """Block until /health is 200; returns the monotonic time it first was."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.module} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return time.monotonic()
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.module} not healthy in {timeout_s:.0f} s; see {self.log_path}")

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
