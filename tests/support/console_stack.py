"""The three services and the console as real processes on the test Kafka and store, each with its own database.

The browser tests drive this; `python -m tests.support.console_stack` runs it by hand on a running `stack`
(KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI) until Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field

from tests.support.processes import ServiceProcess


@dataclass
class ConsoleStack:
    procs: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, **ports: int) -> "ConsoleStack":
        suffix = os.environ.get("UI_DB_SUFFIX") or uuid.uuid4().hex[:8]  # fixed by hand to keep data over restarts
        for name in ("visits", "issues", "reporting"):
            env = {"MONGODB_DB": f"ui_{name}_{suffix}", "CONSUMER_GROUP": f"{name}.ui.{suffix}",
                   "SWEEP_INTERVAL_S": "5"}
            self.procs[name] = ServiceProcess(name, env, ports.get(name)).start()
        env = {"VISITS_URL": self.url("visits"), "ISSUES_URL": self.url("issues"), "REPORTING_URL": self.url("reporting"),
               "CONSOLE_MONGODB_DB": f"ui_console_{suffix}"}
        self.procs["console"] = ServiceProcess("console", env, ports.get("console")).start()
        return self

    def url(self, name: str) -> str:
        return self.procs[name].url

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


if __name__ == "__main__":
    assert os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URI"), "set the stack's variables"
    stack = ConsoleStack().start(**{k: int(os.environ[f"{k.upper()}_PORT_UI"]) for k in ("visits", "issues", "reporting", "console")
                                    if os.environ.get(f"{k.upper()}_PORT_UI")})
    print({k: stack.url(k) for k in stack.procs}, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stack.stop()
