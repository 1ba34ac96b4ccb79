"""The CLI's copies of contract values (kept so `--help` never loads the wire models) are the
contract's own, and the CLI's modules import no wire model at start."""

from __future__ import annotations

import subprocess
import sys

from contract import models as s
from runner.cli.params import DEFAULT_ACCOUNT, JOB_STATUSES


def test_the_copies_match_the_contract() -> None:
    assert DEFAULT_ACCOUNT == s.DEFAULT_ACCOUNT
    assert s.Target(platform="x").account == DEFAULT_ACCOUNT
    assert tuple(status.value for status in s.JobStatus) == JOB_STATUSES


def test_loading_the_command_line_loads_no_wire_model() -> None:
    code = "import sys, runner.cli; print('contract.models' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "False"
