"""Resolving named selectors to Playwright locators, with ordered, strict fallbacks.

Each poll round tries a selector's candidates in order and takes the first that resolves to
exactly the expected number of elements (default: one visible). A win by any candidate but
the first is a fallback: it works today and is logged, so someone fixes the file tomorrow.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import SelectorNotFound, StepContext
from runner.engine.selectorfile import Candidate, Localised, SelectorDef

if TYPE_CHECKING:
    from playwright.async_api import FrameLocator, Locator, Page

    from runner.engine.definitions import Platform

# Marks that Arabic (and mixed) UIs put around labels; Playwright does not strip them.
BIDI_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_CLASS = "[" + BIDI_MARKS + "]*"
_BIDI_TABLE = {ord(c): None for c in BIDI_MARKS}


def strip_bidi(text: str) -> str:
    return text.translate(_BIDI_TABLE)


def normalise(text: str) -> str:
    """For comparing texts people see: NFC, no bidi marks, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", strip_bidi(text)).split())


def pick(value: Localised, locale: str) -> list[str]:
    """The texts to accept for `locale` ("auto": any locale's)."""
    if isinstance(value, str):
        return [value]
    if locale != "auto" and locale in value:
        return [value[locale]]
    return list(dict.fromkeys(value.values()))


def _tolerant(text: str) -> str:
    """A regex for `text` that also matches it with bidi marks anywhere inside."""
    parts = []
    for ch in normalise(text):
        # "/" escaped too: Playwright writes the pattern into its selector as /…/ (a name
        # like "Feeling/activity" would end the regex early).
        parts.append(r"\s+" if ch == " " else r"\/" if ch == "/" else re.escape(ch))
    return _BIDI_CLASS.join(parts)


def text_pattern(value: Localised, locale: str, *, exact: bool) -> re.Pattern[str]:
    alternatives = "|".join(_tolerant(t) for t in pick(value, locale))
    if exact:
        return re.compile(rf"^[\s{BIDI_MARKS}]*(?:{alternatives})[\s{BIDI_MARKS}]*$")
    return re.compile(rf"(?:{alternatives})", re.IGNORECASE)


def _css_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(root: Page | Locator | FrameLocator, cand: Candidate, *, locale: str,
          test_id_attr: str) -> Locator:
    """The Playwright locator for one candidate (no visibility filter yet)."""
    if cand.testid is not None:
        loc = root.locator(f"[{test_id_attr}={_css_string(cand.testid)}]")
    elif cand.css is not None:
        loc = root.locator(cand.css)
    elif cand.role is not None:
        if cand.name is None:
            loc = root.get_by_role(cand.role)  # type: ignore[arg-type]
        else:
            loc = root.get_by_role(
                cand.role,  # type: ignore[arg-type]
                name=text_pattern(cand.name, locale, exact=cand.exact),
            )
    elif cand.label is not None:
        loc = root.get_by_label(text_pattern(cand.label, locale, exact=cand.exact))
    elif cand.placeholder is not None:
        loc = root.get_by_placeholder(text_pattern(cand.placeholder, locale, exact=cand.exact))
    elif cand.text is not None:
        loc = root.get_by_text(text_pattern(cand.text, locale, exact=cand.exact))
    else:
        assert cand.xpath is not None
        loc = root.locator("xpath=" + cand.xpath)
    if cand.has_text is not None:
        loc = loc.filter(has_text=text_pattern(cand.has_text, locale, exact=False))
    return loc


def in_frame(root: Page | Locator, frame: str | None) -> Page | Locator | FrameLocator:
    """`root`, or the iframe matching `frame` inside it."""
    return root.frame_locator(frame) if frame else root


@dataclass(frozen=True)
class Resolved:
    name: str
    locator: Locator
    candidate: int  # 1-based
    count: int
    elapsed_ms: float

    @property
    def is_fallback(self) -> bool:
        return self.candidate > 1


class Patience:
    """When a wait that keeps looking may stop: its deadline passed, or the page was seen
    settled (nothing pending that could change it: `EngineOptions.settled`) before the look
    that just failed. A settled page cannot change until the next action, so that look was
    final and waiting longer would only end the same way. Without a probe (live runs) only
    the deadline counts.

        patience = resolver.patience(timeout)
        while True:
            if look(): return
            if await patience.exhausted(): raise …
            await patience.pause(0.1)
    """

    def __init__(self, timeout: float, settled: Callable[[], Awaitable[bool]] | None) -> None:
        self.deadline = time.monotonic() + timeout
        self.settled = settled
        self.final = False  # the page was settled before the latest look

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def exhausted(self) -> bool:
        if self.final or self.remaining <= 0:
            return True
        if self.settled is not None:
            self.final = await self.settled()
        return False

    async def pause(self, seconds: float) -> None:
        """Sleep before the next look; none when the next look is the final one."""
        if not self.final:
            await asyncio.sleep(max(min(seconds, self.remaining), 0.0))


class SelectorResolver:
    """Resolves a platform's named selectors on one page."""

    POLL_S = (0.03, 0.06, 0.1, 0.15, 0.25)

    def __init__(self, platform: Platform, page: Page, locale: str = "auto",
                 on_scope: Callable[[str, int], None] | None = None,
                 on_found: Callable[[Resolved], None] | None = None,
                 settled: Callable[[Page], Awaitable[bool]] | None = None) -> None:
        self.platform = platform
        self.page = page
        self.locale = locale
        self.on_scope = on_scope  # told which candidate won for each scope resolved
        self.on_found = on_found  # told of every resolution (the health report)
        self.settled = settled  # replay of a scripted fixture: see Patience

    def patience(self, timeout: float) -> Patience:
        """How long a wait of `timeout` seconds on this page keeps looking."""
        probe = self.settled
        return Patience(timeout, None if probe is None else lambda: probe(self.page))

    def definition(self, name: str) -> SelectorDef:
        return self.platform.selectors.selectors[name]

    def _ctx(self, name: str, tried: list[str]) -> StepContext:
        return StepContext(
            platform=self.platform.name,
            selector=name,
            selector_file=self.platform.selector_file,
            selector_line=self.platform.selector_line(name),
            tried=tried,
        )

    async def _scope_root(self, name: str, depth: int = 0
                          ) -> tuple[Page | Locator | None, list[str]]:
        """Where the selector's candidates are searched before any frame: the page, or the
        element its scope resolved to (inside whatever frame that candidate was in)."""
        sel = self.definition(name)
        if sel.scope is None:
            return self.page, []
        if depth > 8:
            raise SelectorNotFound(f"scope chain of {name} is too deep", self._ctx(name, []))
        found, notes = await self.round(sel.scope, depth + 1)
        if found is None:
            return None, notes
        if self.on_scope is not None:
            self.on_scope(sel.scope, found.candidate)
        return found.locator, []

    async def try_once(self, name: str, depth: int = 0) -> Resolved | None:
        """One round over the candidates, without waiting; None when none resolves."""
        found, _ = await self.round(name, depth)
        return found

    async def round(self, name: str, depth: int = 0, since: float | None = None
                    ) -> tuple[Resolved | None, list[str]]:
        """One look at every candidate; `since` (perf_counter) is when the wait began, so
        a win's elapsed time includes the waiting."""
        sel = self.definition(name)
        start = time.perf_counter() if since is None else since
        root, scope_notes = await self._scope_root(name, depth)
        if root is None:
            return None, [f"its scope {sel.scope} not found: {'; '.join(scope_notes)}"]
        notes: list[str] = []
        want = "≥1" if sel.many else str(sel.count)
        for i, cand in enumerate(sel.candidates, start=1):
            loc, n = await self._try(root, sel, cand)
            if self._fits(sel, n):
                # The page may have changed while we looked at later candidates (an element
                # appearing mid-round): give the earlier, preferred ones one more look.
                for j, earlier in enumerate(sel.candidates[: i - 1], start=1):
                    loc_j, n_j = await self._try(root, sel, earlier)
                    if self._fits(sel, n_j):
                        loc, n, i = loc_j, n_j, j
                        break
                found = Resolved(name, loc, i, n, (time.perf_counter() - start) * 1000)
                if self.on_found is not None:
                    self.on_found(found)
                return found, notes
            notes.append(f"{i}. {cand.describe()} → {n} (expected {want})")
        return None, notes

    @staticmethod
    def _fits(sel: SelectorDef, n: int) -> bool:
        return n >= 1 if sel.many else n == sel.count

    async def _try(self, root: Page | Locator, sel: SelectorDef,
                   cand: Candidate) -> tuple[Locator, int]:
        loc = build(in_frame(root, sel.frame_of(cand)), cand, locale=self.locale,
                    test_id_attr=self.platform.selectors.test_id_attribute)
        if sel.visible:
            loc = loc.filter(visible=True)
        return loc, await loc.count()

    async def resolve(self, name: str, timeout: float) -> Resolved:
        """Wait up to `timeout` seconds for the selector to resolve; raise SelectorNotFound."""
        patience = self.patience(timeout)
        polls = iter(self.POLL_S)
        since = time.perf_counter()
        while True:
            found, notes = await self.round(name, since=since)
            if found is not None:
                return found
            if await patience.exhausted():
                raise self.not_found(name, notes)
            await patience.pause(next(polls, self.POLL_S[-1]))

    async def wait_gone(self, name: str, timeout: float) -> None:
        """Wait until no candidate finds the element (a `hidden` wait)."""
        patience = self.patience(timeout)
        while True:
            found, _ = await self.round(name)
            if found is None:
                return
            if await patience.exhausted():
                sel = self.definition(name)
                raise SelectorNotFound(
                    f"{sel.title(name)} is still shown after {timeout:g}s (selector {name} in "
                    f"{self.platform.selector_file}:{self.platform.selector_line(name)})",
                    self._ctx(name, []),
                )
            await patience.pause(0.1)

    def not_found(self, name: str, notes: list[str]) -> SelectorNotFound:
        sel = self.definition(name)
        where = f"{self.platform.selector_file}:{self.platform.selector_line(name)}"
        n = len(sel.candidates)
        msg = (
            f"{sel.title(name)} not found (selector {name} in {where}; "
            f"tried {n} candidate{'s' if n != 1 else ''}: {'; '.join(notes)})"
        )
        return SelectorNotFound(msg, self._ctx(name, notes))

    def union(self, name: str) -> Locator:
        """All candidates at once, for overlay handlers that only need to notice an element."""
        sel = self.definition(name)
        attr = self.platform.selectors.test_id_attribute
        locs = [build(in_frame(self.page, None if sel.scope else sel.frame_of(c)), c,
                      locale=self.locale, test_id_attr=attr) for c in sel.candidates]
        union = locs[0]
        for other in locs[1:]:
            union = union.or_(other)
        return union.filter(visible=True) if sel.visible else union
