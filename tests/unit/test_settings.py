"""Settings: one typed place per service, from the environment, every variable in the README's Configuration table."""
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from buildingblocks import clock
from buildingblocks.settings import ClockSettings, Settings, TopicSettings
from console.settings import ConsoleSettings
from issues.settings import IssuesSettings
from notifier.settings import NotifierSettings
from reporting.settings import ReportingSettings
from visits.settings import VisitsSettings

ROOT = Path(__file__).resolve().parents[2]
ALL = [VisitsSettings, IssuesSettings, ReportingSettings, NotifierSettings, ConsoleSettings, TopicSettings, ClockSettings]


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for cls in ALL:
        for name in variables(cls):
            monkeypatch.delenv(name, raising=False)


def variables(cls) -> list[str]:
    """The environment variables a settings class reads: its fields' names, or their aliases."""
    names = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        names += [a.upper() for a in alias.choices] if alias is not None else [name.upper()]
    return [n for n in names if n != "SERVICE"]  # never read from the environment


def test_each_service_has_its_defaults():
    assert (VisitsSettings().port, VisitsSettings().mongodb_db, VisitsSettings().consumer_group) == (8001, "visits", "")
    assert (IssuesSettings().port, IssuesSettings().mongodb_db) == (8002, "issues")
    assert IssuesSettings().consumer_group == "issues.intake.v1"
    assert (ReportingSettings().port, ReportingSettings().consumer_group) == (8003, "reporting.projections.v1")
    assert (NotifierSettings().port, NotifierSettings().consumer_group) == (8004, "notifier.notices.v1")
    assert VisitsSettings().log_format == "json" and VisitsSettings().auth_tokens_file is None


def test_the_environment_overrides_them_and_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092")
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("MONGODB_DB", "")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("RECOVERY_INTERVAL_S", "5")
    s = VisitsSettings()
    assert (s.kafka_bootstrap_servers, s.port, s.mongodb_db, s.log_level, s.recovery_interval_s) == \
           ("kafka:19092", 9999, "visits", "warning", 5.0)


def test_a_service_name_never_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SERVICE", "something-else")
    assert VisitsSettings().service == "visits"
    assert Settings(service="it", mongodb_db="x", port=1).service == "it"  # the tests' own services


def test_a_wrong_value_is_refused_with_its_variable_named(monkeypatch):
    monkeypatch.setenv("SWEEP_INTERVAL_S", "soon")
    with pytest.raises(ValidationError, match="sweep_interval_s"):
        IssuesSettings()
    monkeypatch.setenv("SWEEP_INTERVAL_S", "60")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        IssuesSettings()


def test_the_sweep_lease_outlives_three_sweeps_unless_set(monkeypatch):
    assert IssuesSettings().sweep_lease_term_s == 180.0
    monkeypatch.setenv("SWEEP_INTERVAL_S", "1")
    assert IssuesSettings().sweep_lease_term_s == 10.0
    monkeypatch.setenv("SWEEP_LEASE_S", "4")
    assert IssuesSettings().sweep_lease_term_s == 4.0


def test_the_console_reads_console_port_first_then_port(monkeypatch):
    assert ConsoleSettings().port == 8000
    monkeypatch.setenv("PORT", "18000")
    assert ConsoleSettings().port == 18000
    monkeypatch.setenv("CONSOLE_PORT", "28000")
    monkeypatch.setenv("CONSOLE_COOKIE_SECURE", "true")
    s = ConsoleSettings()
    assert (s.port, s.cookie_secure, s.service) == (28000, True, "console")


def test_topic_and_clock_settings(monkeypatch):
    assert (TopicSettings().topic_replication_factor, TopicSettings().topic_min_insync_replicas) == (1, None)
    monkeypatch.setenv("TOPIC_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("TOPIC_MIN_INSYNC_REPLICAS", "2")
    assert (TopicSettings().topic_replication_factor, TopicSettings().topic_min_insync_replicas) == (3, 2)
    monkeypatch.setenv("CLOCK_TODAY", "2027-01-04")
    assert str(ClockSettings().clock_today) == "2027-01-04"
    assert clock.from_env().today().isoformat() == "2027-01-04"


def test_every_variable_is_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    wanted = {name for cls in ALL for name in variables(cls)}
    assert wanted - documented == set(), "README's Configuration table lacks these"


def test_no_service_reads_the_environment_outside_its_settings():
    """Every variable goes through a settings class (the CLIs' own flags aside)."""
    readers = re.compile(r"os\.environ|os\.getenv|getenv\(")
    sources = [*ROOT.glob("services/*/src/*/**/*.py"), *ROOT.glob("buildingblocks/src/buildingblocks/*.py")]
    found = [str(p.relative_to(ROOT)) for p in sources if readers.search(p.read_text(encoding="utf-8"))]
    # auth.TokenStore.from_env: kept for callers outside the services (the services pass AUTH_TOKENS_FILE's value);
    # asyncapi.generated: sets the shell's variables aside so the checked-in documents never depend on them
    assert set(found) <= {"buildingblocks/src/buildingblocks/auth.py", "buildingblocks/src/buildingblocks/asyncapi.py"}, found
