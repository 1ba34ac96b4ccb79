"""A usage mistake gets one line that names the option and what it accepts, exit status 2,
and no traceback; the log options work after the subcommand too."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runner.cli import main

# Nothing listens here: a mistake must be refused before any server call is tried.
OFFLINE = ["--server-url", "http://127.0.0.1:9", "--operator-token", "t"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`configure` replaces the root handler with one on the runner's captured stderr."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_time_that_is_not_iso_names_the_accepted_formats() -> None:
    line = one_line_error(invoke("post", "--platform", "sandbox", "--text", "hi",
                                 "--at", "tomorrow", *OFFLINE))
    assert "'--at'" in line and "'tomorrow'" in line
    assert "ISO 8601" in line and "+00:00" in line and "'now'" in line


def test_a_time_without_offset_asks_for_one() -> None:
    line = one_line_error(invoke("post", "--platform", "sandbox", "--text", "hi",
                                 "--at", "2025-01-01T10:00", *OFFLINE))
    assert "'--at'" in line and "UTC offset" in line


def test_an_unknown_platform_lists_the_platforms() -> None:
    line = one_line_error(invoke("post", "--platform", "nosuch", "--text", "hi", *OFFLINE))
    assert "'--platform'" in line and "'nosuch'" in line
    for known in ("sandbox", "x", "instagram"):
        assert known in line


def test_an_unknown_job_status_lists_the_statuses() -> None:
    line = one_line_error(invoke("jobs", "--status", "bogus", *OFFLINE))
    assert "'--status'" in line and "'bogus'" in line
    assert "needs_login" in line.lower() and "succeeded" in line.lower()


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_unknown_log_level_lists_the_levels(where: str) -> None:
    args = ["--log-level", "DEBUGG", "browser"]
    line = one_line_error(invoke(*(args if where == "before" else [*args[2:], *args[:2]])))
    assert "'--log-level'" in line and "'DEBUGG'" in line
    assert "debug" in line.lower() and "warning" in line.lower()


def test_importing_a_file_that_is_not_html_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "proof.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    line = one_line_error(invoke("fixture", "import", str(image), "--platform", "sandbox",
                                 "--state", "s", "--out", str(tmp_path / "out.html")))
    assert "'FILE'" in line and "not an HTML page" in line
    assert not (tmp_path / "out.html").exists()


def test_an_unknown_option_is_one_line_too() -> None:
    line = one_line_error(invoke("jobs", "--nosuch"))
    assert "--nosuch" in line


@pytest.mark.parametrize("where", ["before", "after"])
def test_log_format_json_works_on_either_side_of_the_command(tmp_path: Path,
                                                              where: str) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body><p>hello</p></body></html>", encoding="utf-8")
    command = ["fixture", "import", str(page), "--platform", "sandbox", "--state", "s",
               "--out", str(tmp_path / "out.html")]
    log = ["--log-format", "json", "--log-level", "debug"]
    result = invoke(*(log + command if where == "before" else command + log))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records, result.stderr
    assert {"ts", "level", "message"} <= set(records[0])
    assert any("imported" in r["message"] for r in records)


def test_text_logs_carry_a_timestamp(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body>hi</body></html>", encoding="utf-8")
    result = invoke("fixture", "import", str(page), "--platform", "sandbox", "--state", "s",
                    "--out", str(tmp_path / "out.html"))
    assert result.exit_code == 0, result.output
    first = result.stderr.splitlines()[0]
    date, clock = first.split()[:2]
    assert len(date) == 10 and date[4] == "-" and clock.count(":") == 2, first


def test_the_platform_option_says_it_repeats() -> None:
    result = invoke("post", "--help")
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    assert "repeat it for several" in flat
    assert "[default: main]" in flat  # one default account name everywhere


def test_times_in_every_accepted_form() -> None:
    from datetime import datetime, timedelta, timezone

    from runner.cli.params import Timestamp

    parse = Timestamp().convert
    now = datetime.now(timezone.utc)
    assert abs(parse("now", None, None) - now) < timedelta(seconds=5)
    assert abs(parse("+30m", None, None) - (now + timedelta(minutes=30))) < timedelta(seconds=5)
    assert abs(parse("+1d", None, None) - (now + timedelta(days=1))) < timedelta(seconds=5)
    assert parse("2025-01-01T10:00Z", None, None) == datetime(2025, 1, 1, 10, tzinfo=timezone.utc)
    assert parse("2025-01-01T12:00:00+02:00", None, None).utcoffset() == timedelta(hours=2)
