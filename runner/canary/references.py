"""Where a selector last passed: the scenario fixtures it resolves on.

A diagnosis compares the live page with the element as it was. The scenario fixtures are
the pages the selector file is known to pass on (replay keeps them green), so the reference
element is searched there: first the pages of scenarios that expect success without
fallbacks, in the page's language first, then any other fixture page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import DefinitionError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

    from runner.engine.definitions import Platform
    from runner.engine.diagnose import Element

__all__ = ["find_reference", "reference_pages"]


def reference_pages(platform: str, root: Path, lang: str = "") -> list[Path]:
    """Fixture pages of `platform` to look for a reference element on, best first."""
    from runner.replay.scenarios import discover, load_scenarios

    folder = root / "fixtures" / platform
    if not folder.is_dir():
        return []
    ranked: list[tuple[int, Path]] = []
    for path in discover(folder, [platform]):
        try:
            scenarios = load_scenarios(path)
        except DefinitionError:
            continue
        for sc in scenarios:
            clean = (sc.spec.expect.status == "SUCCEEDED" and not sc.spec.expect.fallbacks)
            same_lang = bool(lang) and sc.spec.locale == lang
            rank = (0 if clean else 2) + (0 if same_lang or not lang else 1)
            files = [t for t in sc.spec.pages.values() if isinstance(t, str)]
            files += list(sc.spec.after.values())
            ranked += [(rank, (sc.folder / f).resolve()) for f in files if f.endswith(".html")]
    ranked.sort(key=lambda t: t[0])
    out: list[Path] = []
    for _, page in ranked:
        if page not in out and page.is_file():
            out.append(page)
    return out


async def find_reference(context: BrowserContext, platform: Platform, name: str,
                         pages: list[Path], locale: str = "auto"
                         ) -> tuple[Element | None, Path | None]:
    """The selector's element on the first reference page it resolves on, and that page."""
    from runner.engine.diagnose import describe_reference

    page = await context.new_page()
    try:
        for path in pages:
            await page.set_content(path.read_text(encoding="utf-8"), wait_until="load")
            element = await describe_reference(platform, page, name, locale)
            if element is not None:
                return element, path
    finally:
        await page.close()
    return None, None
