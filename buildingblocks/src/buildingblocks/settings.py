"""Settings from the environment, typed, in one place per service (`services/*/src/*/settings.py` subclass these).

A field's name is its variable's (`mongodb_uri` ← `MONGODB_URI`, case-insensitive); an empty variable counts as
unset. The same names locally, in CI and in docker compose; the README's Configuration table lists every one.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

KAFKA = "127.0.0.1:9092"
MONGODB = "mongodb://127.0.0.1:27017/?directConnection=true"


class EnvSettings(BaseSettings):
    """The shared base: values from the environment, unknown variables ignored."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")


class KafkaSettings(EnvSettings):
    kafka_bootstrap_servers: str = Field(KAFKA, description="Kafka; a comma-separated list for a cluster")


class TopicSettings(KafkaSettings):
    """The topic-init step (`python -m buildingblocks.topics`)."""

    topic_replication_factor: int = Field(1, ge=1)
    topic_min_insync_replicas: Optional[int] = Field(None, ge=1)
    mongodb_uri: str = MONGODB  # --wait-mongo waits for it


class ClockSettings(EnvSettings):
    clock_today: Optional[date] = Field(None, description="run the process as if today were this day (ISO date)")


class _Without(PydanticBaseSettingsSource):
    """A source with some fields taken out: a service's name is its code's, never an environment's."""

    def __init__(self, source: PydanticBaseSettingsSource, names: frozenset[str]):
        super().__init__(source.settings_cls)
        self.source, self.names = source, names

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.source().items() if k not in self.names}


class Settings(KafkaSettings):
    """What every service reads; a service's subclass gives `service`, `port`, `mongodb_db` their defaults."""

    service: str
    mongodb_uri: str = MONGODB
    mongodb_db: str
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    consumer_group: str = ""
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    log_format: Literal["json", "text"] = "json"
    auth_tokens_file: Optional[Path] = None  # unset: the development tokens (buildingblocks/dev_tokens.json)

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return init_settings, _Without(env_settings, frozenset({"service"}))
