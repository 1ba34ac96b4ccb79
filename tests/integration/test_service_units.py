"""`publish-runner service`: the generated units pass `systemd-analyze verify`, the property
lists parse, and install/uninstall round-trip in a temporary home with the service manager's
commands recorded instead of run."""

from __future__ import annotations

import getpass
import os
import plistlib
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runner.cli import main
from runner.cli.service_units import ServiceSpec, launchd_plist, systemd_unit

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed "
                                   "(Debian: apt-get install systemd)")


def verify(unit_text: str, folder: Path, name: str, *, user: bool) -> str:
    """`systemd-analyze verify` of one unit file; returns what it said about the file."""
    assert ANALYZE is not None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(unit_text, encoding="utf-8")
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    done = subprocess.run([ANALYZE, *(["--user"] if user else []), "verify", str(path)],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    said = [line for line in (done.stdout + done.stderr).splitlines() if name in line]
    assert done.returncode == 0, done.stdout + done.stderr
    return "\n".join(said)


SPECS = {
    "device-session": ServiceSpec("device", Path("/etc/pr/config.yaml")),
    "device-xvfb": ServiceSpec("device", Path("/etc/pr/config.yaml"), display="xvfb"),
    "device-headless": ServiceSpec("device", Path("/etc/pr/config.yaml"), display="none"),
    "server-user": ServiceSpec("server", Path("/etc/pr/config.yaml")),
    "server-system": ServiceSpec("server", Path("/etc/pr/my config %h.yaml"), user=False,
                                 run_as=getpass.getuser(), home=Path("/tmp")),
}


@needs_analyze
@pytest.mark.parametrize("key", sorted(SPECS))
def test_generated_units_pass_systemd_analyze_verify(tmp_path: Path, key: str) -> None:
    spec = SPECS[key]
    if spec.display == "xvfb" and not Path(spec.xvfb_run).exists():
        pytest.skip("xvfb-run not installed (apt-get install xvfb)")
    text = systemd_unit(spec)
    said = verify(text, tmp_path, f"{spec.name}.service", user=spec.user)
    assert said == "", said  # no unknown key, no bad value, no missing executable
    assert "Restart=on-failure" in text and "StandardOutput=journal" in text
    assert f"PUBLISH_RUNNER_CONFIG={spec.config}".replace("%", "%%") in text
    assert "--config" in text


@needs_analyze
def test_verify_catches_what_the_test_relies_on(tmp_path: Path) -> None:
    """The check above can fail: a typo'd key and a missing program are reported."""
    text = systemd_unit(SPECS["server-user"])
    bad = text.replace("StandardOutput=", "StandardOutpt=")
    assert "StandardOutpt" in verify(bad, tmp_path / "a", "bad.service", user=True)
    missing = ServiceSpec("server", Path("/c.yaml"), program=(str(tmp_path / "nope"),))
    with pytest.raises(AssertionError):
        verify(systemd_unit(missing), tmp_path / "b", "missing.service", user=True)


def test_a_headed_device_belongs_to_the_graphical_session() -> None:
    text = systemd_unit(SPECS["device-session"])
    for line in ("After=graphical-session.target", "PartOf=graphical-session.target",
                 "WantedBy=graphical-session.target",
                 "PassEnvironment=DISPLAY WAYLAND_DISPLAY XAUTHORITY"):
        assert line in text.splitlines()
    xvfb = systemd_unit(SPECS["device-xvfb"])
    assert "graphical-session" not in xvfb and "WantedBy=default.target" in xvfb
    assert xvfb.split("ExecStart=")[1].startswith("/usr/bin/xvfb-run ")
    assert "--headless" in systemd_unit(SPECS["device-headless"])


def test_the_property_list_parses_and_restarts_only_after_a_crash(tmp_path: Path) -> None:
    doc = plistlib.loads(launchd_plist(SPECS["device-session"], tmp_path))
    assert doc["Label"] == "io.publish-runner.device"
    assert doc["KeepAlive"] == {"SuccessfulExit": False}
    assert doc["LimitLoadToSessionType"] == "Aqua"
    args = doc["ProgramArguments"]
    assert args[args.index("--config") + 1] == "/etc/pr/config.yaml"
    assert doc["EnvironmentVariables"]["PUBLISH_RUNNER_CONFIG"] == "/etc/pr/config.yaml"
    assert doc["StandardErrorPath"] == str(tmp_path / "device.log")
    server = plistlib.loads(launchd_plist(SPECS["server-user"], tmp_path))
    assert "serve" in server["ProgramArguments"] and "LimitLoadToSessionType" not in server


class Recorder:
    """Stands in for systemctl/launchctl: records each command, answers as told."""

    def __init__(self, code: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.code = code

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        self.calls.append(list(argv))
        return self.code, "active (running)" if argv[-2:-1] != ["print"] else "state = running"


def service(home: Path, manager: Recorder, *args: str) -> Result:
    env: dict[str, str | None] = {"HOME": str(home), "XDG_CONFIG_HOME": None, "DISPLAY": ":7",
                                  "WAYLAND_DISPLAY": None, "XAUTHORITY": None}
    return CliRunner(env=env).invoke(main, ["service", *args], obj=manager,
                                     catch_exceptions=False)


def test_systemd_install_status_uninstall_round_trip(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("runner: {}\n", encoding="utf-8")
    manager = Recorder()
    unit = tmp_path / ".config" / "systemd" / "user" / "publish-runner-device.service"

    done = service(tmp_path, manager, "install", "--config", str(config), "--manager",
                   "systemd")
    assert done.exit_code == 0, done.output
    assert unit.is_file() and f"--config {config}" in unit.read_text()
    assert manager.calls == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "import-environment", "DISPLAY"],
        ["systemctl", "--user", "enable", "--now", "publish-runner-device.service"]]
    assert "journalctl --user -u publish-runner-device" in done.output

    manager.calls.clear()
    status = service(tmp_path, manager, "status", "--manager", "systemd")
    assert status.exit_code == 0 and str(unit) in status.output
    assert manager.calls[0][:3] == ["systemctl", "--user", "status"]

    removed = service(tmp_path, manager, "uninstall", "--manager", "systemd")
    assert removed.exit_code == 0, removed.output
    assert not unit.exists()
    assert ["systemctl", "--user", "disable", "--now", "publish-runner-device.service"] \
        in manager.calls
    gone = service(tmp_path, manager, "status", "--manager", "systemd")
    assert gone.exit_code == 3 and "not installed" in gone.output


def test_launchd_round_trip_and_a_failing_manager(tmp_path: Path) -> None:
    manager = Recorder(code=5)
    plist = tmp_path / "Library" / "LaunchAgents" / "io.publish-runner.server.plist"
    done = service(tmp_path, manager, "install", "server", "--manager", "launchd",
                   "--config", str(tmp_path / "c.yaml"))
    assert done.exit_code == 1  # the file is written, the manager refused to load it
    assert "exited 5" in done.stderr
    assert plistlib.loads(plist.read_bytes())["Label"] == "io.publish-runner.server"
    assert manager.calls[0][:2] == ["launchctl", "bootstrap"]
    assert service(tmp_path, Recorder(), "uninstall", "server", "--manager",
                   "launchd").exit_code == 0
    assert not plist.exists()


def test_no_start_writes_the_file_and_runs_nothing(tmp_path: Path) -> None:
    manager = Recorder()
    done = service(tmp_path, manager, "install", "server", "--no-start", "--manager",
                   "systemd", "--config", str(tmp_path / "c.yaml"))
    assert done.exit_code == 0 and manager.calls == []
    assert "does not exist yet" in done.stderr


def test_server_has_no_display_option(tmp_path: Path) -> None:
    done = service(tmp_path, Recorder(), "install", "server", "--display", "xvfb",
                   "--manager", "systemd")
    assert done.exit_code == 2 and "--display" in done.stderr


def test_a_unit_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    env: dict[str, str | None] = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(blocked)}
    done = CliRunner(env=env).invoke(main, ["service", "install", "--manager", "systemd",
                                            "--no-start"], obj=Recorder())
    assert done.exit_code == 1, done.output
    assert done.stderr.startswith("Error: cannot write ") and "Traceback" not in done.output
