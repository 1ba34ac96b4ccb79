"""`publish-runner definitions`: mistakes are one line and exit 2, before any replay or
upload (nothing listens at the server URL these tests give)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.test_usage_errors import (  # noqa: F401 (the autouse fixture)
    OFFLINE,
    _restore_logging,
    invoke,
)
from tests.unit.cli.test_usage_errors import one_line_error as one_line


def test_a_folder_without_playbooks_is_refused_before_anything_runs(tmp_path: Path) -> None:
    line = one_line(invoke("definitions", "push", str(tmp_path), *OFFLINE))
    assert "holds no playbooks/" in line


def test_a_version_must_be_a_positive_number() -> None:
    assert "VERSION" in one_line(invoke("definitions", "rollback", "0", *OFFLINE))
    assert "VERSION" in one_line(invoke("definitions", "rollback", "latest", *OFFLINE))

