"""`serve --help` describes every option with its default (issue 15), the log options that
every command also takes after its name included."""

from __future__ import annotations

import re

from click.testing import CliRunner

from runner.cli import main


def test_every_serve_option_is_described_with_its_default() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"], catch_exceptions=False,
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    options = result.output.split("Options:", 1)[1]
    # One entry per option: its flags at the start of a line, then the description.
    entries = re.split(r"\n\s{2}(?=-)", "\n" + options)
    described = {}
    for entry in entries:
        flat = " ".join(entry.split())
        if not flat:
            continue
        flag = flat.split()[0].rstrip(",")
        described[flag] = flat
    assert {"--db", "--host", "--port", "--log-level", "--log-format"} <= set(described)
    missing = [flag for flag, text in described.items()
               if flag not in ("-h", "--help") and "default" not in text]
    assert missing == [], missing
    assert "[default: INFO" in described["--log-level"]
    assert "[default: text" in described["--log-format"]
