"""The service definitions `publish-runner service install` writes: a systemd unit on Linux, a
launchd property list on macOS, for the device daemon (`run`) and the server (`serve`).

Only text is made here (no file, no service manager), so every unit can be checked as it is
generated: `systemd-analyze verify` for the units, `plistlib` for the property lists.

Why each choice:
- The daemon is headed by default (operators watch it, platforms trust it more), so its unit
  belongs to the desktop session: bound to `graphical-session.target` (started with it,
  stopped with it) and handed the session's `DISPLAY`/`WAYLAND_DISPLAY`/`XAUTHORITY`.
  Without a desktop it runs under Xvfb (`display="xvfb"`) or headless (`display="none"`).
- Restart on failure only: exit 0 is a deliberate stop (SIGTERM after handing jobs back).
- stdout and stderr go to the journal as JSON lines (`journalctl --user -u …`); launchd has
  no journal, so a file under `~/Library/Logs`.
- The config file is named in the command line and in `PUBLISH_RUNNER_CONFIG`, so the
  service reads the same settings as the operator's own commands, whatever its environment.
"""

from __future__ import annotations

import plistlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DISPLAYS", "ROLES", "ServiceSpec", "default_program", "launchd_plist",
           "systemd_unit"]

ROLES = ("device", "server")
DISPLAYS = ("session", "xvfb", "none")
XVFB_RUN = "/usr/bin/xvfb-run"
SESSION_ENV = ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY")
STOP_TIMEOUT_S = 60  # the daemon hands running jobs back before it exits
RESTART_DELAY_S = 10


@dataclass(frozen=True)
class ServiceSpec:
    """What to run as a service, independent of the service manager."""

    role: str  # "device" (publish-runner run) or "server" (publish-runner serve)
    config: Path
    user: bool = True  # a user service (systemd --user, LaunchAgent) or a system one
    display: str = "session"  # device only: "session", "xvfb" or "none" (headless)
    program: tuple[str, ...] = field(default_factory=lambda: default_program())
    run_as: str | None = None  # system services: the account that owns the profiles
    home: Path | None = None  # working directory (default: the manager's idea of home)
    xvfb_run: str = XVFB_RUN

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if self.display not in DISPLAYS:
            raise ValueError(f"display must be one of {', '.join(DISPLAYS)}")

    @property
    def name(self) -> str:
        return f"publish-runner-{self.role}"

    @property
    def label(self) -> str:
        """launchd's reverse-DNS label."""
        return f"io.publish-runner.{self.role}"

    @property
    def in_session(self) -> bool:
        return self.role == "device" and self.display == "session"

    def argv(self) -> list[str]:
        """The command line the service runs."""
        command = "run" if self.role == "device" else "serve"
        args = [*self.program, "--log-format", "json", command,
                "--config", str(self.config)]
        if self.role == "device" and self.display == "none":
            args.append("--headless")
        if self.role == "device" and self.display == "xvfb":
            args = [self.xvfb_run, "--auto-servernum", "--server-args=-screen 0 1280x800x24",
                    *args, "--headed"]
        return args

    def environment(self) -> dict[str, str]:
        return {"PUBLISH_RUNNER_CONFIG": str(self.config), "PYTHONUNBUFFERED": "1"}

    def description(self) -> str:
        if self.role == "server":
            return "publish-runner reference publishing server"
        where = {"session": "in the desktop session", "xvfb": "under Xvfb",
                 "none": "headless"}[self.display]
        return f"publish-runner device daemon ({where})"


def default_program() -> tuple[str, ...]:
    """This installation's `publish-runner` script, else its Python with `-m runner`: an
    absolute path either way, as a service's environment has no virtualenv on its PATH."""
    script = Path(sys.executable).parent / ("publish-runner" + (
        ".exe" if sys.platform == "win32" else ""))
    if script.is_file():
        return (str(script),)
    return (sys.executable, "-m", "runner")


def _quote(arg: str) -> str:
    """One argument of a systemd command line: `%` and `$` are specifiers there."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if any(c in escaped for c in " \t\"'\\;") or not escaped:
        escaped = '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


def _command(argv: Sequence[str]) -> str:
    return " ".join(_quote(a) for a in argv)


def systemd_unit(spec: ServiceSpec) -> str:
    """A `.service` file for systemd (user manager when `spec.user`)."""
    unit = [f"Description={spec.description()}"]
    if spec.in_session:
        unit += ["After=graphical-session.target", "PartOf=graphical-session.target",
                 "Requisite=graphical-session.target"]
    elif not spec.user:
        unit += ["After=network-online.target", "Wants=network-online.target"]
    service = ["Type=exec", f"ExecStart={_command(spec.argv())}"]
    service += [f"Environment={_quote(f'{k}={v}')}" for k, v in spec.environment().items()]
    if spec.in_session:
        service.append(f"PassEnvironment={' '.join(SESSION_ENV)}")
    if spec.run_as and not spec.user:
        service.append(f"User={spec.run_as}")
    service.append(f"WorkingDirectory={_quote(str(spec.home)) if spec.home else '~'}")
    service += ["Restart=on-failure", f"RestartSec={RESTART_DELAY_S}",
                "KillMode=mixed", f"TimeoutStopSec={STOP_TIMEOUT_S}",
                "StandardOutput=journal", "StandardError=journal",
                f"SyslogIdentifier={spec.name}"]
    if spec.in_session:
        wanted = "graphical-session.target"
    else:
        wanted = "default.target" if spec.user else "multi-user.target"
    lines = ["# Written by `publish-runner service install`; `service uninstall` removes it.",
             "[Unit]", *unit, "", "[Service]", *service, "", "[Install]",
             f"WantedBy={wanted}", ""]
    return "\n".join(lines)


def launchd_plist(spec: ServiceSpec, log_dir: Path) -> bytes:
    """A LaunchAgent (user) or LaunchDaemon (system) property list for launchd."""
    doc: dict[str, object] = {
        "Label": spec.label,
        "ProgramArguments": spec.argv(),
        "EnvironmentVariables": spec.environment(),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart after a crash, not after a stop
        "ThrottleInterval": RESTART_DELAY_S,
        "ExitTimeOut": STOP_TIMEOUT_S,
        "StandardOutPath": str(log_dir / f"{spec.role}.log"),
        "StandardErrorPath": str(log_dir / f"{spec.role}.log"),
    }
    if spec.home is not None:
        doc["WorkingDirectory"] = str(spec.home)
    if spec.in_session:
        # A headed browser needs the logged-in user's window server (the Aqua session).
        doc["LimitLoadToSessionType"] = "Aqua"
        doc["ProcessType"] = "Interactive"
    if spec.run_as and not spec.user:
        doc["UserName"] = spec.run_as
    return plistlib.dumps(doc, sort_keys=True)
