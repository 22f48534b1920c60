"""The services as real processes: started with their own database and consumer group, killed for real."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

LOGS = Path(__file__).resolve().parents[2] / ".state" / "test-logs"


def free_port(pair: bool = False, avoid: frozenset[int] = frozenset()) -> int:
    """A free port; with `pair`, p+1 is free too (Kafka's controller listens on p+1). Never one in `avoid`."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p in avoid or p + 1 in avoid or p > 65000:
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


def wait_healthy(proc: subprocess.Popen, url: str, timeout_s: float, what: str, log_path: Path, every_s: float = 0.2) -> float:
    """Block until `url`/health answers 200 (the monotonic time it did); fail at once if the process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log_path}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(every_s)
    raise TimeoutError(f"{what} not healthy in {timeout_s:.0f} s; see {log_path}")


def wait_for(predicate, timeout_s: float, what: str, every_s: float = 0.5):
    """Poll until `predicate()` is truthy and return that value; fail naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], port: int | None = None):
        self.module = module
        self.port = port or free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1", "LOG_LEVEL": "info"}
        self.proc: subprocess.Popen | None = None
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{module}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> "ServiceProcess":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", self.module], env=self.env, stdout=log, stderr=log)
        wait_healthy(self.proc, self.url, timeout_s, self.module, self.log_path)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is flushed or committed."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def own_state(module: str, **env: str) -> ServiceProcess:
    """A service process with a database and consumer group of its own, so tests never share state."""
    suffix = uuid.uuid4().hex[:10]
    return ServiceProcess(module, {"MONGODB_DB": f"e2e_{suffix}", "CONSUMER_GROUP": f"{module}.e2e.{suffix}", **env})


@contextmanager
def running(modules: tuple[str, ...], **env: str) -> Iterator[dict[str, ServiceProcess]]:
    """The services, each with state of its own (`own_state`), started and stopped again afterwards."""
    procs = {name: own_state(name, **env) for name in modules}
    try:
        for proc in procs.values():
            proc.start()
        yield procs
    finally:
        for proc in procs.values():
            proc.stop()


def call(method: str, url: str, headers: dict, body: dict | None = None, status: int = 200) -> dict:
    """One request, answered with `status`; its JSON."""
    r = httpx.request(method, url, json=body, headers=headers, timeout=30)
    assert r.status_code == status, (method, url, r.status_code, r.text)
    return r.json()
