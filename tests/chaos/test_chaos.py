"""The chaos suite's short form (marker `chaos`; bench/chaos.py is the long one): one kill
-9 per window, server kills, outages either side of runTimeout, the same text twice with a
rejection between, two daemons on one profile, hostile YAML and extreme timestamps. Each
scenario's job must end SUCCEEDED once on the sandbox with its proofs and logs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.chaos.harness import WINDOWS, Chaos
from tests.e2e.conftest import OPERATOR, ROOT

pytestmark = [pytest.mark.chaos, pytest.mark.e2e, pytest.mark.browser]


def clean(chaos: Chaos) -> None:
    tally = chaos.tally
    assert (tally.double_posts, tally.lost_posts, tally.lost_proofs, tally.lost_events,
            tally.stuck_jobs) == (0, 0, 0, 0, 0), tally.problems


@pytest.mark.parametrize("point", WINDOWS)
def test_daemon_killed_in_a_window(chaos: Chaos, point: str) -> None:
    kills = chaos.tally.kills
    chaos.kill_daemon_at(point)
    assert chaos.tally.kills == kills + 1
    clean(chaos)


@pytest.mark.parametrize("point", ["after_claim", "after_phase.verify"])
def test_server_killed_mid_claim_and_mid_complete(chaos: Chaos, point: str) -> None:
    chaos.kill_server_at(point)
    clean(chaos)


@pytest.mark.parametrize("seconds", [2, 10])  # runTimeout is 6 s
def test_outage_shorter_and_longer_than_the_run_timeout(chaos: Chaos, seconds: float) -> None:
    chaos.outage(seconds)
    clean(chaos)


def test_same_text_twice_with_a_failure_between(chaos: Chaos) -> None:
    chaos.same_text_twice()
    clean(chaos)


def test_two_daemons_on_one_profile(chaos: Chaos) -> None:
    releases = chaos.two_daemons_one_profile()
    clean(chaos)
    assert releases < 10  # no claim/release hot loop (it was 28-49 a second)


def test_hostile_yaml_is_refused_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "playbooks" / "bomb.yaml"
    bomb.parent.mkdir()
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},*a{i-1},"
              f"*a{i-1},*a{i-1}]" for i in range(1, 10)]
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "runner", "lint", str(bomb)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode != 0
    assert "bomb.yaml:" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_extreme_timestamps_are_a_4xx_and_pages_stay_up(chaos: Chaos, at: str) -> None:
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    post = chaos.server.api("POST", "/api/posts", json={
        "text": chaos.text("time"), "targets": [{"platform": "sandbox", "account": "main"}]})
    chaos.server.api("POST", f"/api/posts/{post['id']}/submit")
    chaos.server.api("POST", f"/api/posts/{post['id']}/approve")
    reply = httpx.post(f"{chaos.server.url}/api/posts/{post['id']}/schedule",
                       json={"scheduledAt": at}, headers=auth, timeout=30)
    assert reply.status_code == 422 and "scheduledAt" in reply.text
    for page in ("/api/devices", "/api/publishing/jobs"):
        assert httpx.get(chaos.server.url + page, headers=auth, timeout=30).status_code == 200
