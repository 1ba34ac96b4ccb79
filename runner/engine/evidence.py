"""A run's evidence: proof screenshots, the Playwright trace, the failure page HTML.

Written here and read back here: `failure.html` starts with a comment naming platform,
phase and URL, which fixture import (`parse_failure_header`) and the sanitiser
(`strip_failure_header`) read, so the format lives in one module.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runner.engine import proofs
from runner.engine.result import Proof, RunResult
from runner.engine.tracescrub import scrub_trace
from runner.engine.translate import BrowserFailure, first_line

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)

FAILURE_HTML = "failure.html"
TRACE = "trace.zip"
_MARK = "publish-runner failure snapshot:"
_HEADER = re.compile(r"<!--\s*" + re.escape(_MARK) + r"(.*?)-->", re.S)
_LEADING_HEADER = re.compile(r"^\s*<!--\s*" + re.escape(_MARK) + r".*?-->\s*", re.S)
HEADER_FIELDS = ("platform", "phase", "url")


def failure_header(platform: str, phase: str, url: str) -> str:
    """The comment on top of `failure.html` (values are single words: a URL has no spaces)."""
    return f"<!-- {_MARK} platform={platform} phase={phase} url={url} -->\n"


def parse_failure_header(html: str) -> dict[str, str]:
    """platform/phase/url from a `failure.html`; {} when it has no header."""
    m = _HEADER.search(html[:4096])
    if not m:
        return {}
    fields: dict[str, str] = {}
    for key in HEADER_FIELDS:
        found = re.search(rf"\b{key}=(\S+)", m.group(1))
        if found:
            fields[key] = found.group(1)
    return fields


def strip_failure_header(html: str) -> str:
    """The page HTML without our header comment."""
    return _LEADING_HEADER.sub("", html, count=1)


class Evidence:
    """Writes one run's evidence into `out_dir` and notes it on the result."""

    def __init__(self, page: Page, out_dir: Path, result: RunResult, *, platform: str,
                 proof_format: str, static_page: bool,
                 on_proof: Callable[[Proof], Awaitable[None]]) -> None:
        self.page = page
        self.out_dir = out_dir
        self.result = result
        self.platform = platform
        self.proof_format = proof_format
        self.static_page = static_page
        self.on_proof = on_proof

    async def proof(self, kind: str) -> Proof:
        if self.proof_format == "none":
            # Replay keeping no evidence: which proofs a run takes is what it checks, not
            # their pixels, so no screenshot is taken (a tenth of a fixture suite's time).
            proof = Proof(kind=kind, path=self.out_dir / f"{kind}.none", sha256="", size=0,
                          width=0, height=0, content_type="")
            self.result.proofs = [p for p in self.result.proofs if p.kind != kind] + [proof]
            await self.on_proof(proof)
            return proof
        if self.static_page:  # nothing moves: skip the freeze-and-restore round trips
            png = await self.page.screenshot(type="png")
        else:
            png = await self.page.screenshot(type="png", animations="disabled", caret="hide")
        proof = await proofs.write_async(kind, png, self.out_dir, self.proof_format)
        self.result.proofs = [p for p in self.result.proofs if p.kind != kind] + [proof]
        await self.on_proof(proof)
        return proof

    async def failure_proof(self) -> None:
        try:
            await self.proof("on_failure")
        except (BrowserFailure, OSError) as exc:
            log.warning("could not take the on_failure proof: %s", first_line(exc))

    async def failure_html(self, phase: str) -> None:
        try:
            html = await self.page.content()
        except BrowserFailure as exc:
            log.warning("could not keep the page HTML: %s", first_line(exc))
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / FAILURE_HTML
        path.write_text(failure_header(self.platform, phase, self.page.url) + html,
                        encoding="utf-8")
        self.result.failure_html = path

    async def start_tracing(self) -> bool:
        try:
            await self.page.context.tracing.start(snapshots=True, screenshots=False)
        except BrowserFailure:
            return False  # the caller already traces this context
        return True

    async def group(self, name: str, file: str | None = None, line: int | None = None) -> bool:
        """Open a trace group (`playwright show-trace` nests the step's actions under it,
        with the playbook's file:line as its source); False when the trace refused it."""
        location = {"file": file, "line": line} if file else None
        try:
            await self.page.context.tracing.group(name, location=location)  # type: ignore[arg-type]
        except BrowserFailure:
            return False
        return True

    async def group_end(self) -> None:
        with contextlib.suppress(BrowserFailure):
            await self.page.context.tracing.group_end()

    async def stop_tracing(self, keep: bool) -> None:
        tracing = self.page.context.tracing
        try:
            if keep:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                path = self.out_dir / TRACE
                await tracing.stop(path=str(path))
                scrub_trace(path)  # no session cookie or authorization kept, owner-only
                self.result.trace = path
            else:
                await tracing.stop()
        except BrowserFailure as exc:
            log.warning("could not save the trace: %s", first_line(exc))


__all__ = ["FAILURE_HTML", "TRACE", "Evidence", "failure_header", "parse_failure_header",
           "strip_failure_header"]
