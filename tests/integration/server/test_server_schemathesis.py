"""Property-based run over /openapi.json: no input, however odd, gets a 5xx."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from server.serve import ServerThread
from server.settings import ServerSettings
from tests.integration.server.conftest import BACKENDS, ENROLL, OPERATOR, postgres_url  # noqa: F401 (fixture)
from tests.postgres import database_url


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[str, str]]:
    """One server per backend for the whole run, with a registered device: (url, token)."""
    data = Path(tmp_path_factory.mktemp("schemathesis"))
    db = None
    if request.param == "postgresql":
        server_url: str = request.getfixturevalue("postgres_url")
        db = database_url(server_url, f"fuzz_{secrets.token_hex(6)}")
        with psycopg.connect(database_url(server_url, "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db.rsplit("/", 1)[1]}"')
    srv = ServerThread(ServerSettings(data_dir=data, operator_token=OPERATOR, db=db,
                                      enroll_token=ENROLL, port=0)).start()
    reply = httpx.post(f"{srv.url}/api/devices/register", json={"name": "fuzz"},
                       headers={"Authorization": f"Bearer {ENROLL}"})
    yield srv.url, reply.json()["deviceToken"]
    srv.stop()
    if db is not None:
        with psycopg.connect(database_url(db, "postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.rsplit("/", 1)[1]}" WITH (FORCE)')


def _token(path: str, device_token: str) -> str:
    if path.endswith("/register"):
        return ENROLL
    device = path.startswith("/api/publishing/jobs/{") or path.endswith(
        ("/heartbeat", "/login-status", "/canary-proofs", "/canary-results", "/next-due"))
    return device_token if device else OPERATOR


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        # the long poll is exercised by the API tests; here it would only wait
        if operation.path.endswith("/claim") and isinstance(case.body, dict):
            case.body["waitSec"] = 0
        case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=10)

    check()


def test_no_input_gets_a_server_error(live: tuple[str, str]) -> None:
    url, device_token = live
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.update(base_url=url)
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, {"Authorization": f"Bearer {_token(operation.path, device_token)}"})
        tried += 1
    assert tried >= 20
