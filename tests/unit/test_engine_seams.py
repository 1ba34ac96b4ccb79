"""The engine's seams: evidence headers written and read in one place, options from
settings, Playwright errors translated into ours."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from common.errors import ClickIntercepted, StepError, StepTimeout
from runner.engine.evidence import failure_header, parse_failure_header, strip_failure_header
from runner.engine.options import EngineOptions
from runner.engine.translate import translate


def test_failure_header_round_trip() -> None:
    page = "<!doctype html><html><body>x</body></html>"
    html = failure_header("x", "compose", "https://x.com/compose/post?a=1") + page
    assert parse_failure_header(html) == {"platform": "x", "phase": "compose",
                                          "url": "https://x.com/compose/post?a=1"}
    assert strip_failure_header(html) == page
    assert parse_failure_header(page) == {} and strip_failure_header(page) == page


@dataclass
class _Settings:
    locale: str = "ar"
    human: bool | None = True
    base_urls: dict[str, str] = field(default_factory=lambda: {"x": "http://127.0.0.1:9"})


def test_options_from_settings() -> None:
    opts = EngineOptions.from_settings(_Settings(), "x")
    assert (opts.locale, opts.human, opts.base_url) == ("ar", True, "http://127.0.0.1:9")
    other = EngineOptions.from_settings(_Settings(), "threads", human=False, base_url=None)
    assert (other.human, other.base_url) == (False, None)
    assert EngineOptions.from_settings(None, "x") == EngineOptions()
    forced = EngineOptions.from_settings(None, "x", type_method="keyboard", trace=False)
    assert forced.type_method == "keyboard" and not forced.trace


def test_playwright_errors_become_step_errors() -> None:
    blocked = PlaywrightTimeout("Timeout 500ms exceeded.\nCall log:\n  - <div id=\"cookie-banner\">"
                                "…</div> intercepts pointer events\n  - retrying")
    err = translate(blocked, step="click postButton", timeout=0.5, selector="postButton")
    assert isinstance(err, ClickIntercepted) and "cookie-banner" in str(err)
    assert err.ctx.selector == "postButton"
    slow = translate(PlaywrightTimeout("Timeout 500ms exceeded.\nCall log: …"),
                     step="goto", timeout=0.5)
    assert isinstance(slow, StepTimeout) and str(slow) == \
        "goto timed out after 0.5s: Timeout 500ms exceeded."
    other = translate(PlaywrightError("Target page closed"), step="type x", timeout=1)
    assert type(other) is StepError and str(other) == "type x failed: Target page closed"
