"""How a run behaves beyond its playbook: locale, pacing, evidence, time scales.

`EngineOptions.from_settings` is the one place that turns a program's settings (the
device's, a one-off `publish`, a benchmark) into options, so a new setting is wired once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from playwright.async_api import Page

TypeMethod = Literal["insert_text", "keyboard", "fill", "paste"]
TYPE_METHODS: tuple[TypeMethod, ...] = ("insert_text", "keyboard", "fill", "paste")

# Whether the page can still change by itself (a timer, a request, an animation pending).
SettledProbe = Callable[["Page"], Awaitable[bool]]


class EngineSettings(Protocol):
    """What `from_settings` reads; the device settings model has these fields."""

    @property
    def locale(self) -> str: ...

    @property
    def human(self) -> bool | None: ...

    @property
    def base_urls(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class EngineOptions:
    locale: str = "auto"
    # Human pacing: pauses before actions and a per-key rhythm for `method: keyboard`.
    # None: the playbook's `human`. It never changes which typing method a step uses.
    human: bool | None = None
    # Force every `type` step to this method (tests and replay exercise each one).
    type_method: TypeMethod | None = None
    # "webp" or "png" (re-encoded), "raw" (Playwright's PNG), "none" (no screenshot: replay
    # keeping no evidence still records which proofs were taken).
    proof_format: str = "webp"
    trace: bool = True
    base_url: str | None = None
    stop_after: str | None = None  # run up to and including this phase (fixture capture)
    timeout_scale: float = 1.0
    # Scales only waits for the page to reach a state (an element appearing, enabling);
    # actions keep their full timeout. Replay of static fixtures sets it low: a saved page
    # does not change, so waiting for it to is pointless.
    wait_scale: float = 1.0
    static_page: bool = False  # replay with scripts off: no animations, no caret to freeze
    # Replay of a scripted fixture: tells when nothing on the page is pending, so nothing
    # changes it until the next action. A wait whose look failed on a page already settled
    # ends at once with the outcome its timeout would have had (runner.engine.locate.
    # Patience). None (live runs): waits wait out their timeout.
    settled: SettledProbe | None = None
    keep_failure_html: bool = True  # replay keeps it only when asked to keep evidence
    # A dry run on a live account: stops after `confirm` and refuses any step that could
    # publish (runner.engine.canary states the rule).
    canary: bool = False

    @classmethod
    def from_settings(cls, settings: EngineSettings | None, platform: str,
                      **overrides: Any) -> EngineOptions:
        """Options for a run of `platform` under `settings` (None: the defaults), with
        `overrides` (e.g. `human=False` for a login check, `base_url=` for a sandbox); an
        override of None keeps the value from settings."""
        options = cls()
        if settings is not None:
            options = cls(locale=settings.locale, human=settings.human,
                          base_url=settings.base_urls.get(platform))
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(options, **given) if given else options


__all__ = ["TYPE_METHODS", "EngineOptions", "EngineSettings", "SettledProbe", "TypeMethod"]
