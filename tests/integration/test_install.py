"""A normal install works: the wheel, in a fresh virtual environment, outside the repository.

One venv, in three steps: first `pip install <wheel>` (the device, no server extra): `--help`,
`run --help`, `lint` and `replay sandbox` work from another folder on the packaged
definitions, and `serve`, `demo` and `run` without a server say in one line what to install.
Then `pip install '<wheel>[server]'` adds the server: `demo` publishes on the sandbox. Last,
`pip install -e` of the same tree: the checkout is the packaged root.
Dependencies come from PyPI through pip's cache. It takes a minute or two: marked `slow`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HINT = "pip install 'publish-runner[server]'"


def _copy_sources(target: Path) -> None:
    """The work tree as git sees it (tracked and new files, nothing ignored: no build/,
    egg-info or caches), so the wheel is built from a clean copy."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUBLISH_RUNNER_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(PUBLISH_RUNNER_HOME=str(tmp / "home"),
               PUBLISH_RUNNER_CONFIG=str(tmp / "no-config.yaml"))
    return env


class Installed:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.venv = tmp / "venv"
        self.cwd = tmp / "elsewhere"
        self.cwd.mkdir()
        self.env = _env(tmp)
        self.wheel: Path | None = None
        self.src = tmp / "src"

    def pip(self, *args: str) -> None:
        subprocess.run([str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", *args],
                       check=True, env=self.env, cwd=self.cwd, timeout=600)

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "publish-runner"), *args],
                              capture_output=True, text=True, env=self.env, cwd=self.cwd,
                              timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("install")
    inst = Installed(tmp)
    _copy_sources(inst.src)
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "--disable-pip-version-check", "-w", str(wheels), str(inst.src)],
                   check=True, env=inst.env, cwd=tmp, timeout=600)
    [inst.wheel] = wheels.glob("publish_runner-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(inst.venv)], check=True, timeout=120)
    inst.pip(str(inst.wheel))
    yield inst


def _source_lint_summary(installed: Installed) -> str:
    """`lint` of the very tree the wheel was built from, run in place by this venv."""
    proc = subprocess.run([sys.executable, "-m", "runner", "lint"], cwd=installed.src,
                          capture_output=True, text=True, env=installed.env)
    return proc.stderr.strip().splitlines()[-1]


def test_the_device_install_has_no_server_packages(installed: Installed) -> None:
    check = ("import importlib.util as u; print([m for m in ('fastapi', 'uvicorn', 'jinja2', "
             "'multipart', 'pydantic_settings') if u.find_spec(m)])")
    out = subprocess.run([str(installed.venv / "bin" / "python"), "-c", check],
                         capture_output=True, text=True, check=True, cwd=installed.cwd)
    assert out.stdout.strip() == "[]"
    assert installed.cli("--help").returncode == 0
    assert installed.cli("run", "--help").returncode == 0


def test_lint_reads_the_packaged_definitions_from_another_folder(installed: Installed) -> None:
    proc = installed.cli("lint")
    assert "Traceback" not in proc.stderr
    assert re.search(r"definitions: \S+/site-packages/runner/_definitions \(package\)",
                     proc.stderr), proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    files = int(summary.split()[0])
    assert files > 0, summary
    # the packaged copy is the repository's: the same files, the same findings
    assert summary == _source_lint_summary(installed)


def test_replay_sandbox_from_another_folder(installed: Installed) -> None:
    proc = installed.cli("replay", "sandbox", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]  # 0 only when every scenario matched
    import json

    assert json.loads(proc.stdout)  # stdout is the JSON alone: the root is said on stderr
    assert "runner/_definitions (package)" in proc.stderr


def test_a_team_folder_in_the_current_directory_wins(installed: Installed) -> None:
    team = installed.cwd / "team"
    shutil.copytree(ROOT / "playbooks", team / "playbooks",
                    ignore=shutil.ignore_patterns("[!s]*"))  # sandbox.yaml only
    shutil.copytree(ROOT / "selectors", team / "selectors",
                    ignore=shutil.ignore_patterns("[!s]*"))
    proc = subprocess.run([str(installed.venv / "bin" / "publish-runner"), "lint"],
                          capture_output=True, text=True, env=installed.env, cwd=team)
    assert f"definitions: {team.resolve()} (cwd)" in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("2 file(s)")


def test_new_fixtures_never_go_into_the_installed_package(installed: Installed) -> None:
    page = installed.cwd / "page.html"
    page.write_text("<!doctype html><html><body><p>hi</p></body></html>", encoding="utf-8")
    proc = installed.cli("fixture", "import", str(page), "--platform", "sandbox", "--state", "s")
    assert proc.returncode == 2 and "read-only" in proc.stderr, proc.stderr
    out = installed.cwd / "s.html"
    proc = installed.cli("fixture", "import", str(page), "--platform", "sandbox", "--state", "s",
                         "--out", str(out))
    assert proc.returncode == 0 and out.is_file(), proc.stderr


@pytest.mark.parametrize("args", [["serve"], ["demo"], ["run"]])
def test_server_commands_say_what_to_install(installed: Installed, args: list[str]) -> None:
    proc = installed.cli(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and HINT in errors[0], proc.stderr


def test_with_the_server_extra_the_demo_runs(installed: Installed) -> None:
    assert installed.wheel is not None
    installed.pip(f"{installed.wheel}[server]")
    proc = installed.cli("demo", "--out", str(installed.tmp / "proofs"), timeout=600)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    assert any(p.is_file() for p in (installed.tmp / "proofs").rglob("*")), proc.stdout


def test_an_editable_install_reads_the_checkout(installed: Installed) -> None:
    """`pip install -e` ships no copy: the checkout's own folders are the packaged root."""
    installed.pip("--no-deps", "-e", str(installed.src))
    proc = installed.cli("lint")
    assert f"definitions: {installed.src.resolve()} (package)" in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == _source_lint_summary(installed)
