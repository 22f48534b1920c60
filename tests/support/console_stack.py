"""The services (visits, issues, reporting and, where it exists, the notifier) and the console as real processes on the test Kafka and store, each with its own database.

The browser tests drive this; `python -m tests.support.console_stack` runs it by hand on a running `stack`
(KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI) until Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import ServiceProcess

ROOT = Path(__file__).resolve().parents[2]
NOTIFIER_SRC = ROOT / "services" / "notifier" / "src"


def services() -> tuple[str, ...]:
    return ("visits", "issues", "reporting") + (("notifier",) if NOTIFIER_SRC.is_dir() else ())


def _with_notifier_path() -> dict[str, str]:
    """The notifier's package on the path of its process, for trees whose PYTHONPATH predates it."""
    path = os.environ.get("PYTHONPATH", "")
    if str(NOTIFIER_SRC) in path.split(os.pathsep):
        return {}
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(NOTIFIER_SRC), path) if p)}


@dataclass
class ConsoleStack:
    procs: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, **ports: int) -> "ConsoleStack":
        suffix = os.environ.get("UI_DB_SUFFIX") or uuid.uuid4().hex[:8]  # fixed by hand to keep data over restarts
        for name in services():
            env = {"MONGODB_DB": f"ui_{name}_{suffix}", "CONSUMER_GROUP": f"{name}.ui.{suffix}",
                   "SWEEP_INTERVAL_S": "5", **(_with_notifier_path() if name == "notifier" else {})}
            self.procs[name] = ServiceProcess(name, env, ports.get(name)).start()
        env = {"VISITS_URL": self.url("visits"), "ISSUES_URL": self.url("issues"), "REPORTING_URL": self.url("reporting"),
               "CONSOLE_MONGODB_DB": f"ui_console_{suffix}"}
        if "notifier" in self.procs:
            env["NOTIFIER_URL"] = self.url("notifier")
        self.procs["console"] = ServiceProcess("console", env, ports.get("console")).start()
        return self

    def url(self, name: str) -> str:
        return self.procs[name].url

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


if __name__ == "__main__":
    assert os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URI"), "set the stack's variables"
    stack = ConsoleStack().start(**{k: int(os.environ[f"{k.upper()}_PORT_UI"]) for k in (*services(), "console")
                                    if os.environ.get(f"{k.upper()}_PORT_UI")})
    print({k: stack.url(k) for k in stack.procs}, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stack.stop()
