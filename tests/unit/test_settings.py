from buildingblocks.settings import Settings


def test_settings_come_from_the_environment_with_service_defaults(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092")
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.delenv("MONGODB_DB", raising=False)
    s = Settings.from_env("reporting", 8003, consumer_group="reporting.projections.v1")
    assert s.kafka_bootstrap_servers == "kafka:19092"
    assert s.port == 9999
    assert s.mongodb_db == "reporting"
    assert s.consumer_group == "reporting.projections.v1"


def test_the_port_defaults_to_the_contract_port(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert Settings.from_env("visits", 8001).port == 8001
