"""A pytest plugin: every scenario of every `scenarios.yaml` is a test item.

Installed with publish-runner (entry point `pytest11`), so a team's own repository, holding
its playbooks/, selectors/ and fixture folders, runs its scenarios with plain `pytest`
(`pytest fixtures/`, `pytest -k logged-out`, `--junitxml`, `-x`, `--lf` as usual). One
Chromium is shared by the session; each item replays one scenario as `publish-runner replay`
does and fails with the same message, naming the scenario's file:line and its evidence.

Options (or the same names in the ini file): `--replay-root DIR` (the definitions root:
default the rootdir when it holds playbooks/, else the packaged definitions),
`--replay-out DIR` (keep evidence of failed scenarios there). Turn the plugin off with
`-p no:publish_runner_replay`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from common.errors import DefinitionError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from runner.replay.replay import Replayer, ScenarioResult
    from runner.replay.scenarios import LoadedScenario

__all__ = ["ScenarioFailed", "ScenarioItem", "ScenariosFile"]

_SESSION = pytest.StashKey["_ReplaySession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("publish-runner", "publish-runner replay scenarios")
    group.addoption("--replay-root", help="definitions root (folder of playbooks/, selectors/)")
    group.addoption("--replay-out", help="keep the evidence of failed scenarios here")
    parser.addini("replay_root", "definitions root for scenarios.yaml items")
    parser.addini("replay_out", "where the evidence of failed scenarios is kept")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: needs a real Chromium")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name != "scenarios.yaml":
        return None
    collector: ScenariosFile = ScenariosFile.from_parent(parent, path=file_path)
    return collector


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--{name.replace('_', '-')}") or config.getini(name)
    return str(value) if value else None


def _root(config: pytest.Config) -> Path:
    given = _setting(config, "replay_root")
    if given:
        return (config.rootpath / given).resolve()
    if (config.rootpath / "playbooks").is_dir():
        return config.rootpath
    from runner.engine.definitions import project_root

    return project_root()


class _ReplaySession:
    """One event loop, one Playwright and one browser for the whole pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        out = _setting(config, "replay_out")
        self.root = _root(config)
        self.out = (config.rootpath / out).resolve() if out else None
        self.loop = asyncio.new_event_loop()
        self._host: Any = None
        self._browser: Any = None
        self._replayer: Replayer | None = None

    def replay(self, sc: LoadedScenario) -> ScenarioResult:
        return self.loop.run_until_complete(self._replay(sc))

    async def _replay(self, sc: LoadedScenario) -> ScenarioResult:
        from runner.browser import discover, launch, start_playwright
        from runner.replay.replay import Replayer

        if self._replayer is None:
            self._host = start_playwright()
            self._browser = await launch(await self._host.start(), discover(None),
                                         headless=True)
            self._replayer = Replayer(self._browser, root=self.root, out_dir=self.out,
                                      workers=1, trace=self.out is not None)
        result = await self._replayer.replay(sc)
        if result.passed and result.out_dir is not None:
            from runner.replay.replay import ReplayReport, prune

            prune(ReplayReport([result], 0.0), "failed")
        return result

    def close(self) -> None:
        async def stop() -> None:
            if self._replayer is not None:
                await self._replayer.close()
            if self._browser is not None:
                await self._browser.close()
            if self._host is not None:
                await self._host.stop()

        try:
            self.loop.run_until_complete(stop())
        finally:
            self.loop.close()


def _session(config: pytest.Config) -> _ReplaySession:
    if _SESSION not in config.stash:
        config.stash[_SESSION] = _ReplaySession(config)
    return config.stash[_SESSION]


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.close()


class ScenarioFailed(Exception):
    """A scenario ran and did not match its `expect`, or could not run."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.scenario.id)
        self.result = result


class ScenariosFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        from runner.replay.scenarios import load_scenarios

        try:
            scenarios = load_scenarios(self.path)
        except DefinitionError as exc:
            raise self.CollectError(str(exc)) from exc
        for sc in scenarios:
            yield ScenarioItem.from_parent(self, name=sc.name, scenario=sc)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: LoadedScenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.add_marker("browser")

    def runtest(self) -> None:
        result = _session(self.config).replay(self.scenario)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if not isinstance(excinfo.value, ScenarioFailed):
            return str(super().repr_failure(excinfo))
        from runner.replay.report import headline
        from runner.replay.scenarios import display_path

        r = excinfo.value.result
        lines = [f"{r.scenario.file}:{r.scenario.line}: {r.scenario.id}: {headline(r)}"]
        lines += [f"  {a.file}:{a.line}: {a.message}" for a in r.annotations
                  if a.level == "error" and (a.file, a.line) != (r.scenario.file,
                                                                  r.scenario.line)]
        if evidence := r.evidence():
            lines.append("  evidence: " + ", ".join(display_path(p) for p in evidence))
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario {self.scenario.id}"
