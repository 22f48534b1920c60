"""Service settings from the environment; the same variable names locally, in CI and in docker compose."""
from __future__ import annotations

import os

from pydantic import BaseModel


class Settings(BaseModel):
    service: str
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    mongodb_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongodb_db: str
    host: str = "127.0.0.1"
    port: int
    consumer_group: str = ""
    log_level: str = "info"

    @classmethod
    def from_env(cls, service: str, port: int, **defaults: str) -> "Settings":
        env = os.environ
        values = {
            "service": service,
            "kafka_bootstrap_servers": env.get("KAFKA_BOOTSTRAP_SERVERS"),
            "mongodb_uri": env.get("MONGODB_URI"),
            "mongodb_db": env.get("MONGODB_DB", defaults.get("mongodb_db", service)),
            "host": env.get("HOST"),
            "port": env.get("PORT", port),
            "consumer_group": env.get("CONSUMER_GROUP", defaults.get("consumer_group", "")),
            "log_level": env.get("LOG_LEVEL"),
        }
        return cls(**{k: v for k, v in values.items() if v is not None})
