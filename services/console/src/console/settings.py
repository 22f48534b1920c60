"""The console's settings, from the environment (README, "Configuration"): the shared base of buildingblocks, with
the console's own variable names (CONSOLE_…, the services' URLs)."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal, Optional

from pydantic import AliasChoices, Field

from buildingblocks.settings import MONGODB, EnvSettings

PORT = 8000


def env(*names: str):
    return AliasChoices(*names)


class ConsoleSettings(EnvSettings):
    model_config = EnvSettings.model_config | {"populate_by_name": True}

    service: ClassVar[str] = "console"
    host: str = Field("127.0.0.1", validation_alias=env("HOST"))
    # CONSOLE_PORT first; else PORT, which the test harness sets for every service.
    port: int = Field(PORT, validation_alias=env("CONSOLE_PORT", "PORT"))
    log_level: str = Field("info", validation_alias=env("LOG_LEVEL"))
    log_format: Literal["json", "text"] = Field("json", validation_alias=env("LOG_FORMAT"))
    visits_url: str = Field("http://127.0.0.1:8001", validation_alias=env("VISITS_URL"))
    issues_url: str = Field("http://127.0.0.1:8002", validation_alias=env("ISSUES_URL"))
    reporting_url: str = Field("http://127.0.0.1:8003", validation_alias=env("REPORTING_URL"))
    notifier_url: str = Field("http://127.0.0.1:8004", validation_alias=env("NOTIFIER_URL"))
    mongodb_uri: str = Field(MONGODB, validation_alias=env("MONGODB_URI"))
    mongodb_db: str = Field("console", validation_alias=env("CONSOLE_MONGODB_DB"))
    session_idle_minutes: int = Field(30, gt=0, validation_alias=env("CONSOLE_SESSION_IDLE_MINUTES"))
    # Secure cookies need HTTPS; behind a TLS proxy set CONSOLE_COOKIE_SECURE=true.
    cookie_secure: bool = Field(False, validation_alias=env("CONSOLE_COOKIE_SECURE"))
    # The Origin a browser sends on writes; empty: the request's own scheme://host.
    public_origin: str = Field("", validation_alias=env("CONSOLE_PUBLIC_ORIGIN"))
    auth_tokens_file: Optional[Path] = Field(None, validation_alias=env("AUTH_TOKENS_FILE"))  # unset: the dev tokens
    upstream_timeout_s: float = Field(15.0, gt=0, validation_alias=env("CONSOLE_UPSTREAM_TIMEOUT_S"))


def load() -> ConsoleSettings:
    return ConsoleSettings()
