"""A daemon started against a server that is not there says so (issue 15): on its terminal
the status line reads "server unreachable since HH:MM:SS, retrying", the log says it at
warning (never info), and the daemon keeps running and retrying rather than exiting.

The real `publish-runner run` process, on a pseudo-terminal so its status line is drawn,
with a saved device identity for a URL where nothing listens.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from runner.device import identity
from tests.e2e.conftest import ROOT, free_port

STATUS = re.compile(r"\x1b\[2K(server unreachable since (\d\d:\d\d:\d\d), retrying · [^\r\n]*)")


def read_until(fd: int, proc: subprocess.Popen[bytes], pattern: re.Pattern[str],
               timeout: float) -> str:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                out += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if pattern.search(out.decode("utf-8", "replace")):
                return out.decode("utf-8", "replace")
        elif proc.poll() is not None:
            break
    raise AssertionError(f"no {pattern.pattern!r} within {timeout:g}s (exit "
                         f"{proc.poll()}):\n{out.decode('utf-8', 'replace')[-3000:]}")


def test_a_daemon_against_a_dead_server_says_so_and_keeps_retrying(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    home = tmp_path / "home"
    identity.save(home / "device.json", identity.Identity(dead, "dev-1", "device-token"))
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(home),
           "PUBLISH_RUNNER_CONFIG": str(home / "none.yaml"), "PUBLISH_RUNNER_HEARTBEAT_S": "1",
           "TERM": "xterm"}
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "--log-level", "INFO", "run", "--server-url", dead,
         "--account", f"sandbox/main={home / 'profiles' / 'main'}", "--headless",
         "--base-url", f"sandbox=http://127.0.0.1:{free_port()}", "--min-gap", "0"],
        cwd=ROOT, stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    try:
        text = read_until(main, proc, STATUS, timeout=90)
        status = STATUS.search(text)
        assert status is not None
        # The log line said it too, at warning, with the same time.
        logged = re.search(r"warning\s+server unreachable since (\d\d:\d\d:\d\d); retrying",
                           text)
        assert logged is not None, text[-2000:]
        assert logged.group(1) == status.group(2)
        assert not re.search(r"\binfo\s+[^\n]*(unreachable|Connection refused)", text), text
        # Each log line starts on a cleared line: the status line never runs into it.
        lines = list(re.finditer(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (info|warning) ", text))
        assert len(lines) >= 2
        assert all(text[m.start() - 5:m.start()] == "\r\x1b[2K" for m in lines), text[-2000:]
        assert proc.poll() is None  # still running, still retrying
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(main)
