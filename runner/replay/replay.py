"""Replaying playbooks against saved HTML fixtures in a real Chromium.

Scenarios run several at a time in one shared browser, on warm contexts and pages reused
between scenarios of the same kind (scripts on or off, locale). Pages are served at their
original URLs by request routing; every other request is aborted, so nothing leaves the
machine. Page JavaScript is off unless the scenario turns it on: the fixture is what the
platform's scripts had already rendered.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import DefinitionError
from runner.browser import VIEWPORT
from runner.engine import Engine, Status, load_platform
from runner.engine.actions.waits import SHOWN_TEXT_JS
from runner.engine.definitions import Platform, project_root
from runner.engine.engine import EngineHooks, EngineOptions, Post, glob_to_regex
from runner.engine.locate import normalise
from runner.engine.options import TypeMethod
from runner.engine.result import Proof, RunResult, StepRecord
from runner.replay.scenarios import LoadedScenario, Redirect, display_path, missing_files
from runner.replay.settle import SETTLE_JS, page_settled

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Route

# A fixture with scripts off cannot change once loaded (each `after` swap is waited for), so
# one look decides every wait: a missing element is known at once. A scripted fixture's
# waits end as soon as the page has settled (runner.replay.settle: no timer, request or
# animation pending, so nothing changes it before the next action); a tenth of each wait
# (1.5 s of 15 s) stays the ceiling for a page whose scripts cannot be followed. Actions
# (click, upload) always keep their full timeout.
STATIC_WAIT_SCALE = 0.0
SCRIPTED_WAIT_SCALE = 0.1


@dataclass(frozen=True)
class Annotation:
    """A GitHub Actions annotation: `::error file=…,line=…::message`."""

    level: str
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::{self.level} file={self.file},line={self.line}::{msg}"


@dataclass
class ScenarioResult:
    """One scenario as replayed. `outcome` is "passed", "failed" (it ran and did not match
    its expectations) or "error" (it could not run: a broken definition, a missing fixture)."""

    scenario: LoadedScenario
    passed: bool
    actual_status: str
    error: str | None
    fallbacks: list[str]
    proofs: list[str]
    duration_s: float
    mismatches: list[str] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    resolutions: dict[str, int] = field(default_factory=dict)
    out_dir: Path | None = None
    started_at: float = 0.0  # epoch seconds
    steps: list[StepRecord] = field(default_factory=list)
    proof_files: dict[str, Path] = field(default_factory=dict)
    failure_html: Path | None = None
    trace: Path | None = None
    phase_durations: dict[str, float] = field(default_factory=dict)
    failed_selector: str | None = None
    broken: bool = False
    # With `suggest`: near matches for the selector that did not resolve (dicts of
    # runner.engine.diagnose.Suggestion.as_dict), printed, never used to publish.
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else "error" if self.broken else "failed"

    def evidence(self) -> list[Path]:
        """What a person opens to see why it failed, most telling first."""
        files = [self.failure_html, self.trace, *self.proof_files.values()]
        return [f for f in files if f is not None and f.exists()]

    def as_dict(self) -> dict[str, Any]:
        sc = self.scenario
        return {
            "id": sc.id,
            "name": sc.name,
            "platform": sc.platform,
            "outcome": self.outcome,
            "passed": self.passed,
            "expected_status": sc.spec.expect.status,
            "actual_status": self.actual_status,
            "error": self.error,
            "fallbacks": self.fallbacks,
            "expected_fallbacks": sc.spec.expect.fallbacks,
            "proofs": self.proofs,
            "mismatches": self.mismatches,
            "duration": round(self.duration_s, 3),
            "started_at": iso_utc(self.started_at),
            "file": sc.file,
            "line": sc.line,
            "evidence": [display_path(p) for p in self.evidence()],
            "suggestions": self.suggestions,
            "steps": [
                {"phase": s.phase, "step": s.step, "status": s.status,
                 "duration_ms": s.duration_ms, "message": s.message,
                 "selector": s.selector, "candidate": s.candidate}
                for s in self.steps
            ],
        }


def iso_utc(epoch: float) -> str:
    """UTC, second precision, no offset: the form JUnit readers parse (Ant's)."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class ReplayReport:
    results: list[ScenarioResult]
    duration_s: float
    started_at: float = 0.0
    root: Path | None = None  # the definitions root the playbooks came from

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    @property
    def errors(self) -> list[ScenarioResult]:
        return [r for r in self.results if r.broken]

    @property
    def exit_code(self) -> int:
        """0 all as expected, 1 scenarios failed, 2 some could not run (configuration)."""
        if self.errors or not self.results:
            return EXIT_CONFIG
        return EXIT_OK if self.passed else EXIT_FAILED

    def summary(self) -> dict[str, Any]:
        from runner import __version__

        return {
            "total": len(self.results),
            "passed": sum(r.outcome == "passed" for r in self.results),
            "failed": sum(r.outcome == "failed" for r in self.results),
            "errors": len(self.errors),
            "duration": round(self.duration_s, 3),
            "started_at": iso_utc(self.started_at),
            "version": __version__,
            "definitions_root": str(self.root) if self.root else None,
            "exit_code": self.exit_code,
        }


EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class _FixtureSite:
    """Answers the browser's requests from a scenario's fixture files."""

    def __init__(self, scenario: LoadedScenario, cache: dict[Path, bytes]) -> None:
        self.scenario = scenario
        self.routes = [(glob_to_regex(glob), target)
                       for glob, target in scenario.spec.pages.items()]
        self.overrides: dict[str, str] = {}  # URL → fixture, set by `after`
        self.cache = cache  # shared by the run: scenarios serve the same pages
        self.redirect_to: str | None = None  # a redirect served, its target not yet

    def missing(self) -> list[str]:
        return list(dict.fromkeys(name for _, name in missing_files(self.scenario)))

    def body(self, name: str) -> bytes:
        path = self.scenario.folder / name
        if path not in self.cache:
            self.cache[path] = path.read_bytes()
        return self.cache[path]

    async def handle(self, route: Route) -> None:
        request = route.request
        if request.resource_type not in ("document",):
            await route.abort()
            return
        url = request.url.split("#", 1)[0]
        target: str | Redirect | None = self.overrides.get(url)
        if target is None:
            target = next((t for pattern, t in self.routes if pattern.match(url)), None)
        if target is None:
            await route.fulfill(status=404, content_type="text/html",
                                body=f"<h1>no fixture for {url}</h1>")
        elif isinstance(target, Redirect):
            # Chromium does not route the request a fulfilled 302 leads to, so the target
            # would go to the network; a refresh makes it a new, routed navigation.
            self.redirect_to = target.redirect
            await route.fulfill(status=200, content_type="text/html", body=_redirect_page(
                target.redirect))
        else:
            self.redirect_to = None
            await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                body=self.body(target))


def _redirect_page(url: str) -> str:
    from html import escape

    return (f'<!DOCTYPE html><meta http-equiv="refresh" content="0; url={escape(url)}">'
            f"<title>Redirecting</title>")


@dataclass
class _Slot:
    """A warm context and page, reused by scenarios of the same kind (opening a page costs
    more than replaying most scenarios on it)."""

    context: BrowserContext
    page: Page
    site: _FixtureSite | None = None
    platform: str = ""

    async def handle(self, route: Route) -> None:
        if self.site is None:
            await route.abort()
        else:
            await self.site.handle(route)


@dataclass(frozen=True)
class ProofPage:
    """The page a proof was taken of: its URL, and whether it showed the post's text."""

    url: str
    shows_text: bool


class _ReplayHooks(EngineHooks):
    """Swaps in the `after` fixture once its phase ran; notes the page of each proof."""

    def __init__(self, site: _FixtureSite, page: Page, text: str | None = None) -> None:
        self.site = site
        self.page = page
        self.text = normalise(text) if text is not None else None  # None: nothing to note
        self.proof_pages: dict[str, ProofPage] = {}

    async def on_proof(self, proof: Proof) -> None:
        if self.text is None:
            return
        body = ""
        with contextlib.suppress(Exception):  # a page mid-navigation shows nothing
            body = normalise(await self.page.locator("body").evaluate(SHOWN_TEXT_JS,
                                                                      timeout=1000))
        self.proof_pages[proof.kind] = ProofPage(self.page.url, self.text in body)

    async def after_step(self, step: Any) -> None:
        """A navigation that met a redirect ends where the redirect leads, as with a 302."""
        if step.kind != "goto":
            return
        for _ in range(5):  # a chain of redirects, hop by hop
            target = self.site.redirect_to
            if target is None:
                return
            await self.page.wait_for_url(target, wait_until="domcontentloaded", timeout=10_000)
            if self.site.redirect_to == target:
                return

    async def after_phase(self, phase: str) -> None:
        fixture = self.site.scenario.spec.after.get(phase)
        if not fixture:
            return
        self.site.overrides[self.page.url.split("#", 1)[0]] = fixture  # a later load too
        if self.site.scenario.spec.javascript:
            await self.page.reload(wait_until="domcontentloaded")
        else:
            # With scripts off a document is its markup: writing the next state into the
            # page at the same URL gives the DOM a reload would, without a navigation (a
            # navigation costs Chromium several times the parse; bench/replay.py).
            await self.page.set_content(self.site.body(fixture).decode("utf-8"),
                                        wait_until="domcontentloaded")


def compare(scenario: LoadedScenario, result: RunResult,
            proof_pages: dict[str, ProofPage] | None = None) -> list[str]:
    """What differs from `expect` (only keys the file gives are checked)."""
    exp, given = scenario.spec.expect, scenario.expect_set
    out = []
    # The run's own error message is reported once beside these (ScenarioResult.error).
    if "status" in given and exp.status != result.status.value:
        out.append(f"status: expected {exp.status}, got {result.status.value}")
    if "error" in given:
        if exp.error is None and result.error_message:
            out.append("error: expected none")
        elif exp.error is not None and exp.error not in (result.error_message or ""):
            out.append(f"error: expected to contain {exp.error!r}")
    if "proofs" in given and sorted(exp.proofs or []) != sorted(p.kind for p in result.proofs):
        out.append(f"proofs: expected {sorted(exp.proofs or [])}, got "
                   f"{sorted(p.kind for p in result.proofs)}")
    if "fallbacks" in given and sorted(exp.fallbacks or []) != sorted(result.fallbacks):
        out.append(f"fallbacks: expected {sorted(exp.fallbacks or [])}, got "
                   f"{sorted(result.fallbacks)}")
    if "post_url" in given and (exp.post_url or None) != result.post_url:
        out.append(f"post_url: expected {exp.post_url!r}, got {result.post_url!r}")
    if "proof_pages" in given:
        out += _proof_page_mismatches(exp.proof_pages or {}, proof_pages or {})
    return out


def _proof_page_mismatches(expected: dict[str, str], seen: dict[str, ProofPage]) -> list[str]:
    out = []
    for kind, glob in expected.items():
        page = seen.get(kind)
        if page is None:
            out.append(f"proof_pages: no {kind} proof was taken")
        elif not glob_to_regex(glob).match(page.url):
            out.append(f"proof_pages: {kind} taken at {page.url}, expected {glob}")
        elif not page.shows_text:
            out.append(f"proof_pages: {kind} taken at {page.url}, which does not show the "
                       "post's text")
    return out


def describe(mismatches: list[str], result: RunResult | None) -> str:
    """The mismatches and, once, the run's error: one line for annotations and JUnit."""
    text = "; ".join(mismatches)
    error = result.error_message if result is not None else None
    return f"{text} — {error}" if error and error not in text else text


def _annotations(scenario: LoadedScenario, platform: Platform, result: RunResult | None,
                 mismatches: list[str], root: Path) -> list[Annotation]:
    notes = []
    sel_file = display_path(root / platform.selector_file)
    if mismatches and result is not None and result.failed_selector_line:
        # The scenario failed because a selector did: point at the line to fix.
        notes.append(Annotation("error", sel_file, result.failed_selector_line,
                                f"{scenario.id}: {result.error_message}"))
    if mismatches and not notes:
        notes.append(Annotation("error", scenario.file, scenario.line,
                                f"{scenario.id}: " + describe(mismatches, result)))
    if result is not None:
        expected = set(scenario.spec.expect.fallbacks or [])
        for name in result.fallbacks:
            if name not in expected:
                notes.append(Annotation(
                    "warning", sel_file, platform.selector_line(name),
                    f"{scenario.id}: fallback used for {name} (candidate "
                    f"{result.resolutions.get(name)}); its first candidate no longer matches",
                ))
    return notes


PauseHook = Callable[["Page", ScenarioResult], Awaitable[None]]


class Replayer:
    """Replays scenarios in one browser, several at a time.

    With `out_dir`, each scenario's proofs, failure HTML and trace go to
    `out_dir/PLATFORM/SCENARIO/`; `keep="failed"` then removes the folders of scenarios that
    passed once the run is over (the caller renders its reports first), `"all"` keeps them.
    `pause` is awaited on the failing page before it is reused (`--pause-on-failure`).
    """

    def __init__(self, browser: Browser, *, root: Path | None = None, out_dir: Path | None = None,
                 workers: int | None = None, trace: bool = False,
                 on_result: Callable[[ScenarioResult], None] | None = None,
                 pause: PauseHook | None = None, type_method: TypeMethod | None = None,
                 suggest: bool = False) -> None:
        self.browser = browser
        self.root = root or project_root()
        self.out_dir = out_dir
        # Replay is CPU-bound in the browser: more scenarios at once than cores only adds
        # contention (bench/replay.py measured 2 workers fastest on 2 cores).
        self.workers = 1 if pause else workers or max(2, os.cpu_count() or 2)
        self.trace = trace
        self.on_result = on_result
        self.pause = pause
        self.type_method = type_method  # every `type` step uses it (the live path's method)
        self._platforms: dict[str, Platform | DefinitionError] = {}
        self._idle: dict[tuple[bool, str], list[_Slot]] = {}
        self._slots: list[_Slot] = []
        self._pages: dict[Path, bytes] = {}
        self.suggest = suggest  # near matches for a selector that did not resolve

    @staticmethod
    def _key(sc: LoadedScenario) -> tuple[bool, str]:
        # With scripts off nothing on the page can read the browser's locale, so those
        # scenarios share slots whatever their locale.
        return (sc.spec.javascript, sc.spec.locale if sc.spec.javascript else "*")

    async def _acquire(self, sc: LoadedScenario) -> _Slot:
        idle = self._idle.setdefault(self._key(sc), [])
        if idle:
            # Prefer the page last used for this platform: staying on one site keeps its
            # renderer process (a cross-site navigation starts a new one).
            same = [s for s in idle if s.platform == sc.platform]
            slot = same[-1] if same else idle[-1]
            idle.remove(slot)
            return slot
        context = await self.browser.new_context(
            viewport=VIEWPORT, java_script_enabled=sc.spec.javascript, service_workers="block",
            locale="ar" if sc.spec.locale == "ar" else "en-US",
        )
        if sc.spec.javascript:
            await context.add_init_script(SETTLE_JS)  # before the fixture's own scripts
        slot = _Slot(context, await context.new_page())
        await context.route("**/*", slot.handle)
        self._slots.append(slot)
        return slot

    def _release(self, slot: _Slot, sc: LoadedScenario) -> None:
        slot.site = None
        slot.platform = sc.platform
        self._idle.setdefault(self._key(sc), []).append(slot)

    async def close(self) -> None:
        for slot in self._slots:
            await slot.context.close()
        self._slots.clear()
        self._idle.clear()

    def platform(self, name: str) -> Platform:
        if name not in self._platforms:
            try:
                self._platforms[name] = load_platform(name, self.root)
            except DefinitionError as exc:
                self._platforms[name] = exc
        found = self._platforms[name]
        if isinstance(found, DefinitionError):
            raise found
        return found

    async def run(self, scenarios: list[LoadedScenario]) -> ReplayReport:
        started_at, started = time.time(), time.perf_counter()
        gate = asyncio.Semaphore(self.workers)

        async def one(sc: LoadedScenario) -> ScenarioResult:
            async with gate:
                res = await self.replay(sc)
            if self.on_result:
                self.on_result(res)
            return res

        try:
            results = await asyncio.gather(*(one(sc) for sc in scenarios))
        finally:
            await self.close()
        return ReplayReport(list(results), time.perf_counter() - started, started_at,
                            self.root)

    async def replay(self, sc: LoadedScenario) -> ScenarioResult:
        started_at, started = time.time(), time.perf_counter()
        site = _FixtureSite(sc, self._pages)
        try:
            platform = self.platform(sc.platform)
        except DefinitionError as exc:
            msg = f"cannot load the {sc.platform} playbook: {exc}"
            return self._broken(sc, started_at, started, [msg], [
                Annotation("error", display_path(self.root / p.file), p.line, p.message)
                for p in exc.problems])
        if missing := site.missing():
            msg = f"fixture missing: {', '.join(missing)} (in {display_path(sc.folder)})"
            return self._broken(sc, started_at, started, [msg],
                                [Annotation("error", sc.file, sc.line, msg)])
        out = (self.out_dir or Path(os.devnull)) / sc.platform / sc.name
        slot = await self._acquire(sc)
        slot.site = site
        page = slot.page
        try:
            options = EngineOptions(
                locale=sc.spec.locale, human=False, trace=self.trace and self.out_dir is not None,
                proof_format="webp" if self.out_dir else "none",
                keep_failure_html=self.out_dir is not None,
                static_page=not sc.spec.javascript,
                base_url=sc.spec.base_url,
                wait_scale=SCRIPTED_WAIT_SCALE if sc.spec.javascript else STATIC_WAIT_SCALE,
                settled=page_settled if sc.spec.javascript else None,
                type_method=self.type_method,
            )
            hooks = _ReplayHooks(site, page, sc.spec.post.text
                                 if "proof_pages" in sc.expect_set else None)
            engine = Engine(platform, options, hooks)
            post = Post(text=sc.spec.post.text, media=sc.media_paths(), account=sc.spec.account)
            result = await engine.run(page, post, out if self.out_dir else _scratch(sc))
            mismatches = compare(sc, result, hooks.proof_pages)
            res = ScenarioResult(
                scenario=sc, passed=not mismatches, actual_status=result.status.value,
                error=result.error_message, fallbacks=result.fallbacks,
                proofs=[p.kind for p in result.proofs],
                duration_s=time.perf_counter() - started, mismatches=mismatches,
                annotations=_annotations(sc, platform, result, mismatches, self.root),
                resolutions=result.resolutions, out_dir=out if self.out_dir else None,
                started_at=started_at, steps=list(result.steps),
                proof_files={p.kind: p.path for p in result.proofs},
                failure_html=result.failure_html, trace=result.trace,
                phase_durations=dict(result.phase_durations),
                failed_selector=result.failed_selector,
            )
            if mismatches and self.suggest and result.failed_selector is not None:
                from runner.canary.run import diagnose_on_page

                found = await diagnose_on_page(page, platform, result.failed_selector,
                                               self.root, locale=sc.spec.locale)
                res.suggestions = [s.as_dict() for s in found]
            if mismatches and self.pause is not None:
                await self.pause(page, res)  # the failing page, before anything reuses it
        finally:
            self._release(slot, sc)
        return res

    def _broken(self, sc: LoadedScenario, started_at: float, started: float,
                mismatches: list[str], notes: list[Annotation]) -> ScenarioResult:
        return ScenarioResult(
            scenario=sc, passed=False, actual_status="ERROR", error=mismatches[0],
            fallbacks=[], proofs=[], duration_s=time.perf_counter() - started,
            mismatches=mismatches, annotations=notes, started_at=started_at, broken=True,
        )


def prune(report: ReplayReport, keep: str) -> None:
    """Remove kept evidence the run does not need: "all" keeps everything, "failed" only the
    folders of scenarios that did not pass, "none" nothing."""
    import shutil

    for r in report.results:
        if r.out_dir is None or keep == "all" or (keep == "failed" and not r.passed):
            continue
        shutil.rmtree(r.out_dir, ignore_errors=True)
        r.proof_files, r.failure_html, r.trace, r.out_dir = {}, None, None, None


def _scratch(sc: LoadedScenario) -> Path:
    """Proofs must be written somewhere even when the caller keeps none."""
    import tempfile

    return Path(tempfile.gettempdir()) / "publish-runner-replay" / str(os.getpid()) / sc.id


async def run_replay(scenarios: list[LoadedScenario], *, browser: Browser | None = None,
                     browser_preference: str | None = None, headless: bool = True,
                     **options: Any) -> ReplayReport:
    """Replay scenarios; launches (and closes) a browser unless one is given."""
    if browser is not None:
        return await Replayer(browser, **options).run(scenarios)
    from runner.browser import discover, launch, start_playwright

    async with start_playwright() as pw:
        own = await launch(pw, discover(browser_preference), headless=headless)
        try:
            return await Replayer(own, **options).run(scenarios)
        finally:
            await own.close()


__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "Annotation", "PauseHook", "ProofPage",
           "ReplayReport", "Replayer", "ScenarioResult", "Status", "prune", "run_replay"]
