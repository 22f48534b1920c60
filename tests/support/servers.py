"""Where the real Kafka and MongoDB-wire servers come from: the environment, else testcontainers, else a loud stop."""
from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

HOW = (
    "run the tests with `make test` (it starts Kafka and the store locally), or export KAFKA_BOOTSTRAP_SERVERS "
    "and MONGODB_URI for servers you started, or make a Docker engine reachable for testcontainers"
)


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _need(what: str) -> None:
    pytest.exit(f"No {what} for the integration tests: {HOW}.", returncode=1)


def kafka_from_testcontainers(stack: ExitStack) -> str:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    port = 29092
    env = dict(
        KAFKA_NODE_ID="1", KAFKA_PROCESS_ROLES="broker,controller", CLUSTER_ID="4L6g3nShT-eMCtK--X86sw",
        KAFKA_LISTENERS="PLAINTEXT://:9092,CONTROLLER://:9093",
        KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://localhost:{port}",
        KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER", KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1", KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1", KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        KAFKA_AUTO_CREATE_TOPICS_ENABLE="false",
    )
    container = DockerContainer("apache/kafka:4.1.1").with_bind_ports(9092, port)
    for k, v in env.items():
        container = container.with_env(k, v)
    stack.enter_context(container.waiting_for(LogMessageWaitStrategy("Kafka Server started")))
    return f"localhost:{port}"


def mongo_from_testcontainers(stack: ExitStack) -> str:
    from testcontainers.mongodb import MongoDbContainer

    return stack.enter_context(MongoDbContainer("mongo:8")).get_connection_url()


def resolve(stack: ExitStack) -> tuple[str, str]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URI")
    if not (kafka and mongo):
        if not docker_available():
            _need("Kafka" if not kafka else "MongoDB")
        kafka = kafka or kafka_from_testcontainers(stack)
        mongo = mongo or mongo_from_testcontainers(stack)
    return kafka, mongo
