"""A real PostgreSQL for the tests: the one `PUBLISH_RUNNER_TEST_POSTGRES_URL` names, or a
throwaway cluster that `scripts/postgres` starts for this session (and stops at its end).

`postgres_url` is the server's URL (session-wide); `new_database(postgres_url)` makes an
empty database on it and returns its URL, so every test (or every group of replicas) starts
from nothing. Import the fixtures into a conftest to use them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

__all__ = ["ENV", "database_url", "new_database", "postgres_url"]

ENV = "PUBLISH_RUNNER_TEST_POSTGRES_URL"
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres"


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server `server_url` points at."""
    base, _, rest = server_url.rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def _admin(server_url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(database_url(server_url, "postgres"), autocommit=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    given = os.environ.get(ENV)
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="publish-runner-pg-")
    started = subprocess.run([str(SCRIPT), "start", folder], capture_output=True, text=True,
                             check=False, timeout=600)
    if started.returncode != 0:
        pytest.fail(f"could not start PostgreSQL: {started.stderr.strip()}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", folder], capture_output=True, check=False,
                       timeout=60)


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """`new_database()` → the URL of a fresh, empty database, dropped after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"test_{secrets.token_hex(6)}"
        with _admin(postgres_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return database_url(postgres_url, name)

    yield make
    with _admin(postgres_url) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
