"""`publish-runner service install|uninstall|status`: run the daemon or the server as a
service of the machine's own manager (systemd on Linux, launchd on macOS).

The unit text comes from `service_units`; this module decides where it goes and which
manager commands follow. Those commands go through a `Manager`, so tests (and `--no-start`)
write and remove the files without touching the machine's services.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click

from runner.cli.service_units import DISPLAYS, ROLES, ServiceSpec, launchd_plist, systemd_unit

__all__ = ["Manager", "ServiceFiles", "SubprocessManager", "register", "service_group"]


class Manager(Protocol):
    """Runs one service-manager command (`systemctl …`, `launchctl …`): exit code, output."""

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]: ...


class SubprocessManager:
    """The real thing; a missing `systemctl`/`launchctl` is reported, not raised."""

    def __call__(self, argv: Sequence[str]) -> tuple[int, str]:
        if shutil.which(argv[0]) is None:
            return 127, f"{argv[0]} not found"
        done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
        return done.returncode, (done.stdout + done.stderr).strip()


@dataclass(frozen=True)
class ServiceFiles:
    """Where a service's definition lives and how its manager is told, for one system."""

    kind: str  # "systemd" | "launchd"
    spec: ServiceSpec
    home: Path

    @property
    def path(self) -> Path:
        if self.kind == "launchd":
            folder = (self.home / "Library" / "LaunchAgents" if self.spec.user
                      else Path("/Library/LaunchDaemons"))
            return folder / f"{self.spec.label}.plist"
        if self.spec.user:
            config = os.environ.get("XDG_CONFIG_HOME") or str(self.home / ".config")
            return Path(config) / "systemd" / "user" / f"{self.spec.name}.service"
        return Path("/etc/systemd/system") / f"{self.spec.name}.service"

    @property
    def log_dir(self) -> Path:
        return self.home / "Library" / "Logs" / "publish-runner"

    def text(self) -> bytes:
        if self.kind == "launchd":
            return launchd_plist(self.spec, self.log_dir)
        return systemd_unit(self.spec).encode()

    def _systemctl(self, *args: str) -> list[str]:
        return ["systemctl", *(["--user"] if self.spec.user else []), *args]

    def _domain(self) -> str:
        return f"gui/{os.getuid()}" if self.spec.user else "system"

    def start_commands(self) -> list[list[str]]:
        if self.kind == "launchd":
            return [["launchctl", "bootstrap", self._domain(), str(self.path)]]
        unit = f"{self.spec.name}.service"
        commands = [self._systemctl("daemon-reload")]
        if self.spec.in_session and self.spec.user:
            # This session's display for the service now; desktops import it at each login.
            commands.append(self._systemctl("import-environment", *(
                name for name in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY")
                if os.environ.get(name))))
        commands.append(self._systemctl("enable", "--now", unit))
        return commands

    def stop_commands(self) -> list[list[str]]:
        if self.kind == "launchd":
            return [["launchctl", "bootout", f"{self._domain()}/{self.spec.label}"]]
        return [self._systemctl("disable", "--now", f"{self.spec.name}.service")]

    def status_command(self) -> list[str]:
        if self.kind == "launchd":
            return ["launchctl", "print", f"{self._domain()}/{self.spec.label}"]
        return self._systemctl("status", "--no-pager", "--lines=5", f"{self.spec.name}.service")

    def logs_hint(self) -> str:
        if self.kind == "launchd":
            return f"logs: {self.log_dir / (self.spec.role + '.log')}"
        return f"logs: journalctl {'--user ' if self.spec.user else ''}-u {self.spec.name} -f"


def _kind(manager: str) -> str:
    if manager != "auto":
        return manager
    if sys.platform == "darwin":
        return "launchd"
    if sys.platform.startswith("linux"):
        return "systemd"
    raise click.UsageError(f"no service support on {sys.platform}: run `publish-runner run` "
                           "under the system's own service manager (docs/operations.md)")


def _files(ctx: click.Context, role: str, user: bool, config: Path | None, display: str,
           manager: str) -> ServiceFiles:
    from common.settings import default_config_file

    if role == "server" and display != "session":
        raise click.BadParameter("only the device daemon has a display", param_hint="--display")
    home = Path(os.environ.get("HOME") or Path.home())
    spec = ServiceSpec(role=role, config=(config or default_config_file()).expanduser().resolve(),
                       user=user, display=display, home=home,
                       run_as=None if user else os.environ.get("SUDO_USER"))
    return ServiceFiles(_kind(manager), spec, home)


def _manager(ctx: click.Context) -> Manager:
    """The injected manager (`obj=` of the command, for tests) or the real one."""
    found = ctx.find_root().obj
    return found if callable(found) else SubprocessManager()


def _run(manager: Manager, commands: list[list[str]]) -> bool:
    ok = True
    for argv in commands:
        code, output = manager(argv)
        if code != 0:
            ok = False
            click.echo(f"warning: `{' '.join(argv)}` exited {code}: {output}", err=True)
    return ok


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """ROLE, --user/--system and --manager, shared by the three commands."""
    fn = click.option("--manager", type=click.Choice(["auto", "systemd", "launchd"]),
                      default="auto", show_default=True,
                      help="Service manager (auto: systemd on Linux, launchd on macOS).")(fn)
    fn = click.option("--user/--system", default=True, show_default=True,
                      help="A user service (systemd --user, a LaunchAgent) or a system one.")(fn)
    return click.argument("role", type=click.Choice(ROLES), default="device")(fn)


@click.group("service")
def service_group() -> None:
    """Run the device daemon or the server as a service (systemd, launchd)."""


@service_group.command("install")
@_common
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file the service reads (default: the user's config.yaml).")
@click.option("--display", type=click.Choice(DISPLAYS), default="session", show_default=True,
              help="Device only. session: headed in the desktop session; xvfb: headed under "
                   "Xvfb (no desktop); none: headless.")
@click.option("--start/--no-start", default=True, show_default=True,
              help="Enable and start it now (otherwise only write the file).")
@click.option("--print", "print_only", is_flag=True, help="Print the unit, write nothing.")
@click.pass_context
def install_cmd(ctx: click.Context, role: str, config: Path | None, display: str, start: bool,
                print_only: bool, user: bool, manager: str) -> None:
    """Write ROLE's (device or server) service definition and start it."""
    files = _files(ctx, role, user, config, display, manager)
    if print_only:
        click.echo(files.text().decode(), nl=False)
        return
    if files.spec.display == "xvfb" and not Path(files.spec.xvfb_run).exists():
        raise click.UsageError(f"--display xvfb needs {files.spec.xvfb_run} "
                               "(Debian: apt-get install xvfb)")
    try:
        files.path.parent.mkdir(parents=True, exist_ok=True)
        if files.kind == "launchd":
            files.log_dir.mkdir(parents=True, exist_ok=True)
        files.path.write_bytes(files.text())
    except OSError as exc:
        hint = " (a --system service is installed with sudo)" if not user else ""
        raise click.ClickException(f"cannot write {files.path}: {exc.strerror}{hint}") from exc
    click.echo(f"wrote {files.path}")
    if not files.spec.config.exists():
        click.echo(f"note: {files.spec.config} does not exist yet; the service reads its "
                   "settings from there", err=True)
    if start and not _run(_manager(ctx), files.start_commands()):
        sys.exit(1)
    click.echo(files.logs_hint())


@service_group.command("uninstall")
@_common
@click.pass_context
def uninstall_cmd(ctx: click.Context, role: str, user: bool, manager: str) -> None:
    """Stop ROLE's service and remove its definition."""
    files = _files(ctx, role, user, None, "session", manager)
    if not files.path.exists():
        click.echo(f"not installed ({files.path} does not exist)")
        return
    _run(_manager(ctx), files.stop_commands())
    try:
        files.path.unlink()
    except OSError as exc:
        raise click.ClickException(f"cannot remove {files.path}: {exc.strerror}") from exc
    click.echo(f"removed {files.path}")
    if files.kind == "systemd":
        _run(_manager(ctx), [files._systemctl("daemon-reload")])


@service_group.command("status")
@_common
@click.pass_context
def status_cmd(ctx: click.Context, role: str, user: bool, manager: str) -> None:
    """Whether ROLE's service is installed, and what its manager says about it."""
    files = _files(ctx, role, user, None, "session", manager)
    if not files.path.exists():
        click.echo(f"{files.spec.name}: not installed ({files.path})")
        sys.exit(3)  # systemctl's "not running"
    click.echo(f"{files.spec.name}: installed at {files.path}")
    code, output = _manager(ctx)(files.status_command())
    if output:
        click.echo(output)
    click.echo(files.logs_hint())
    sys.exit(0 if code == 0 else 3)


def register(group: click.Group) -> None:
    group.add_command(service_group)
