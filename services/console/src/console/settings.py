"""The console's settings, from the environment (README, "Console")."""
from __future__ import annotations

import os

from pydantic import BaseModel

PORT = 8000


class ConsoleSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = PORT
    log_level: str = "info"
    visits_url: str = "http://127.0.0.1:8001"
    issues_url: str = "http://127.0.0.1:8002"
    reporting_url: str = "http://127.0.0.1:8003"
    mongodb_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongodb_db: str = "console"
    session_idle_minutes: int = 30
    # Secure cookies need HTTPS; behind a TLS proxy set CONSOLE_COOKIE_SECURE=true.
    cookie_secure: bool = False
    # The Origin a browser sends on writes; empty: the request's own scheme://host.
    public_origin: str = ""
    upstream_timeout_s: float = 15.0


ENV = {
    "host": "HOST", "port": "CONSOLE_PORT", "log_level": "LOG_LEVEL", "visits_url": "VISITS_URL",
    "issues_url": "ISSUES_URL", "reporting_url": "REPORTING_URL", "mongodb_uri": "MONGODB_URI",
    "mongodb_db": "CONSOLE_MONGODB_DB", "session_idle_minutes": "CONSOLE_SESSION_IDLE_MINUTES",
    "cookie_secure": "CONSOLE_COOKIE_SECURE", "public_origin": "CONSOLE_PUBLIC_ORIGIN",
    "upstream_timeout_s": "CONSOLE_UPSTREAM_TIMEOUT_S",
}


def load() -> ConsoleSettings:
    values = {field: os.environ[var] for field, var in ENV.items() if os.environ.get(var)}
    if "port" not in values and os.environ.get("PORT"):  # the test harness sets PORT for every service
        values["port"] = os.environ["PORT"]
    return ConsoleSettings(**values)
