"""The one configuration model: precedence, old names, durations, frozen sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import (
    DeviceSettings,
    ServerSettings,
    load_config,
    load_section,
    parse_duration,
)
from common.errors import ConfigError


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("device:\n  min_gap_s: 10\n  max_parallel: 3\n  device_name: filed\n"
                    "server:\n  port: 9000\n  max_attempts: 4\n", encoding="utf-8")
    env = {"PUBLISH_RUNNER_DEVICE__MAX_PARALLEL": "4", "PUBLISH_RUNNER_SERVER__PORT": "9100",
           "PUBLISH_RUNNER_HOME": str(tmp_path)}
    got = load_config(file=file, environ=env,
                      flags={"device": {"max_parallel": 5, "headless": None}})
    assert got.device.device_name == "filed"          # file over default
    assert got.device.min_gap_s == 10
    assert got.device.max_parallel == 5               # flag over env over file
    assert got.device.headless is False               # a flag of None is unset
    assert (got.server.port, got.server.max_attempts) == (9100, 4)
    assert got.operator.server_url == "http://127.0.0.1:8700"  # default


def test_old_names_are_aliases_below_the_new_ones(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("runner:\n  min_gap_s: 7\nserver:\n  claim_timeout: 10\n", encoding="utf-8")
    env = {"PUBLISH_RUNNER_SERVER_RUN_TIMEOUT": "30",          # old server prefix, old field
           "PUBLISH_RUNNER_SERVER_PORT": "9001",                # old prefix
           "PUBLISH_RUNNER_SERVER__PORT": "9002",               # new name wins
           "PUBLISH_RUNNER_MAX_PARALLEL": "6"}                  # old device prefix
    server = load_section(ServerSettings, file=file, environ=env)
    assert (server.claim_timeout_s, server.run_timeout_s, server.port) == (10, 30, 9002)
    assert server.claim_timeout == 10                           # old attribute still reads
    assert server.model_copy(update={"run_timeout": 1.5}).run_timeout_s == 1.5
    assert ServerSettings(claim_timeout=2).claim_timeout_s == 2  # type: ignore[call-arg]
    device = load_section(DeviceSettings, file=file, environ=env)
    assert (device.min_gap_s, device.max_parallel) == (7, 6)    # `runner:` read as `device:`


@pytest.mark.parametrize(("given", "seconds"), [
    (5, 5.0), ("5", 5.0), ("5s", 5.0), ("2m", 120.0), ("1.5h", 5400.0), ("250ms", 0.25),
])
def test_durations_take_numbers_and_units(given: object, seconds: float) -> None:
    assert parse_duration(given) == seconds
    assert ServerSettings.model_validate({"claim_timeout_s": given}).claim_timeout_s == seconds


def test_a_bad_duration_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"server\.claim_timeout_s: .*not a duration"):
        load_section(ServerSettings, environ={"PUBLISH_RUNNER_SERVER__CLAIM_TIMEOUT_S": "soon"})
    with pytest.raises(ConfigError, match=r"device\.min_gap_s"):
        load_section(DeviceSettings, environ={}, flags={"min_gap_s": "-5s"})


def test_every_section_is_frozen_and_refuses_unknown_keys(tmp_path: Path) -> None:
    got = load_config(environ={})
    for section in (got.device, got.operator, got.server, got.embedded):
        with pytest.raises(Exception, match="frozen"):
            section.__setattr__("db" if hasattr(section, "db") else "server_url", "x")
    with pytest.raises(Exception, match="frozen"):
        got.__setattr__("definitions", tmp_path)
    with pytest.raises(ConfigError, match=r"server\.colour"):
        load_section(ServerSettings, environ={}, flags={"colour": "blue"})


def test_embedded_falls_back_to_the_device_fields_and_definitions_are_relative(
        tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("definitions: team\ndevice:\n  db: /tmp/x.db\n  operator_token: t\n",
                    encoding="utf-8")
    got = load_config(file=file, environ={})
    assert (got.embedded.db, got.embedded.operator_token, got.embedded.port) == ("/tmp/x.db",
                                                                                  "t", 0)
    assert got.definitions == tmp_path.resolve() / "team"
