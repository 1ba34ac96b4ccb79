"""`publish-runner definitions`: mistakes are one line and exit 2, before any replay or
upload (nothing listens at the server URL these tests give)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runner.cli import main

OFFLINE = ["--server-url", "http://127.0.0.1:9", "--operator-token", "t"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_folder_without_playbooks_is_refused_before_anything_runs(tmp_path: Path) -> None:
    line = one_line(invoke("definitions", "push", str(tmp_path), *OFFLINE))
    assert "holds no playbooks/" in line


def test_a_version_must_be_a_positive_number() -> None:
    assert "VERSION" in one_line(invoke("definitions", "rollback", "0", *OFFLINE))
    assert "VERSION" in one_line(invoke("definitions", "rollback", "latest", *OFFLINE))

