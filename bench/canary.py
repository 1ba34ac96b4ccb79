"""Canaries: how long one takes on the sandbox, and how well their suggestions rank.

1. Seconds for a canary (open … confirm, discard, recent-posts check) on the live sandbox,
   median of --repeat runs, on an account with posts (on an empty profile the check waits
   its whole timeout before it may say "not there"). Baseline, measured in the same run: a
   real publish of the same playbook (what a team did before canaries to learn whether the
   selectors still work).
2. The rank of the right element among the suggestions for a selector that no longer
   resolves, across the sandbox's redesigns (redesign_fallback, redesign_broken; English and
   Arabic, live) and the fixtures' own drift scenarios (every selector a scenario expects to
   resolve only through a fallback). The selector is treated as broken; the right element is
   what its fallback finds (the sandbox's broken design: its known element); the reference
   is the element on the platform's clean fixture pages. Top-1 and top-3 rates. Baseline,
   same cases in the same run: ranking by accessible name alone. Drift cases whose fallback
   element is in an iframe the fixture loads by URL are listed as unmeasured (a bare page
   has no replay routing to load it).

    .venv/bin/python bench/canary.py [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import time
from pathlib import Path
from typing import Any

from _common import emit, median

ROOT = Path(__file__).resolve().parents[1]
# The sandbox's broken design: which element each selector should find (its script's hooks).
UNMEASURED: list[str] = []  # drift cases whose right element a bare page cannot show
BROKEN_TRUTH = {"composer": ".js-composer", "composerTextarea": ".js-editor",
                "postButton": ".js-post"}


async def timings(browser: Any, repeat: int) -> tuple[list[float], list[float]]:
    from runner.browser import VIEWPORT
    from runner.canary import canary_on_page
    from runner.engine import Engine, EngineOptions, Post, load_platform
    from sandbox import SandboxServer

    plat = load_platform("sandbox", ROOT)
    canary_s, publish_s = [], []
    with SandboxServer() as sb:
        for i in range(repeat):
            # The publish first: a real account's profile lists posts, so the canary's
            # recent-posts check reads a list instead of waiting out an empty one.
            for kind in ("publish", "canary"):
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_cookies([sb.state.login_cookie("main")])
                page = await context.new_page()
                started = time.perf_counter()
                if kind == "canary":
                    report = await canary_on_page(page, plat, account="main",
                                                  base_url=sb.url, root=ROOT)
                    assert report.verdict == "healthy", report.message
                    canary_s.append(time.perf_counter() - started)
                else:
                    engine = Engine(plat, EngineOptions(base_url=sb.url, human=False,
                                                        trace=False))
                    import tempfile

                    with tempfile.TemporaryDirectory() as tmp:
                        result = await engine.run(page, Post(text=f"bench {i}"), Path(tmp))
                    assert result.status.value == "SUCCEEDED", result.error_message
                    publish_s.append(time.perf_counter() - started)
                await context.close()
    return canary_s, publish_s


def _name_only(ref: Any, candidates: list[Any]) -> list[Any]:
    """The baseline's order: elements by accessible-name similarity alone."""
    def sim(el: Any) -> float:
        if not ref.name or not el.name:
            return 0.0
        return difflib.SequenceMatcher(None, ref.name.lower(), el.name.lower()).ratio()

    return sorted(candidates, key=lambda el: -sim(el))


async def _rank_case(page: Any, plat: Any, name: str, truth_el: Any, ref: Any,
                     lang: str) -> tuple[int | None, int | None]:
    """(rank of the right element in our suggestions, in the name-only baseline)."""
    from runner.engine.diagnose import COLLECT_JS, Element, suggest

    found = await suggest(plat, page, name, ref, locale=lang, limit=10)
    ours = next((s.rank for s in found if s.element == truth_el), None)
    raw = await page.evaluate(f"(args) => ({COLLECT_JS})(document, args)",
                              [plat.selectors.test_id_attribute, 3000,
                               plat.selectors.selectors[name].visible])
    elements = [Element.of(d) for d in raw]
    ordered = _name_only(ref, elements)
    base = next((i + 1 for i, el in enumerate(ordered[:10]) if el == truth_el), None)
    return ours, base


async def _describe(locator: Any, attr: str) -> Any:
    from runner.engine.diagnose import DESCRIBE_JS, Element

    return Element.of(await locator.first.evaluate(DESCRIBE_JS, attr))


async def sandbox_cases(browser: Any) -> list[tuple[str, int | None, int | None]]:
    from runner.browser import VIEWPORT
    from runner.canary.references import find_reference, reference_pages
    from runner.engine import load_platform
    from runner.engine.locate import SelectorResolver
    from sandbox import REDESIGN_BROKEN, REDESIGN_FALLBACK, SandboxServer

    plat = load_platform("sandbox", ROOT)
    attr = plat.selectors.test_id_attribute
    out = []
    with SandboxServer() as sb:
        for account, lang in (("main", "en"), ("arabic", "ar")):
            for fault in (REDESIGN_FALLBACK, REDESIGN_BROKEN):
                sb.state.set_faults(account, fault)
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_cookies([sb.state.login_cookie(account)])
                page = await context.new_page()
                await page.goto(sb.url + "/compose")
                await page.wait_for_load_state("load")
                for name, css in BROKEN_TRUTH.items():
                    if fault == REDESIGN_BROKEN:
                        truth = await _describe(page.locator(css), attr)
                    else:
                        found = await SelectorResolver(plat, page, lang).try_once(name)
                        assert found is not None and found.is_fallback, name
                        truth = await _describe(found.locator, attr)
                    ref, _ = await find_reference(context, plat, name,
                                                  reference_pages("sandbox", ROOT, lang), lang)
                    assert ref is not None, name
                    # (Broken design: a scoped selector's scope is gone too, so its
                    # suggestions come from the whole page, the harder case.)
                    ours, base = await _rank_case(page, plat, name, truth, ref, lang)
                    out.append((f"sandbox/{fault}/{lang}/{name}", ours, base))
                await context.close()
                sb.state.set_faults(account)
    return out


async def fixture_cases(browser: Any) -> list[tuple[str, int | None, int | None]]:
    from runner.browser import VIEWPORT
    from runner.canary.references import find_reference, reference_pages
    from runner.engine import load_platform
    from runner.engine.locate import SelectorResolver
    from runner.replay.scenarios import discover, load_scenarios

    out = []
    context = await browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = await context.new_page()
    for path in discover(ROOT / "fixtures"):
        for sc in load_scenarios(path):
            if not sc.spec.expect.fallbacks or sc.platform == "sandbox":
                continue  # the sandbox's redesigns are measured live above
            plat = load_platform(sc.platform, ROOT)
            attr = plat.selectors.test_id_attribute
            lang = sc.spec.locale if sc.spec.locale != "auto" else "en"
            files = [t for t in sc.spec.pages.values() if isinstance(t, str)]
            files += list(sc.spec.after.values())
            refs = reference_pages(sc.platform, ROOT, lang)
            for name in sc.spec.expect.fallbacks:
                case = f"{sc.platform}/{sc.name}/{name}"
                ref, _ = await find_reference(context, plat, name, refs, lang)
                ours = base = None
                measured = False
                for file in files:
                    await page.set_content((sc.folder / file).read_text(encoding="utf-8"))
                    found = await SelectorResolver(plat, page, lang).try_once(name)
                    if found is None or not found.is_fallback:
                        continue
                    measured = True
                    if ref is not None:
                        truth = await _describe(found.locator, attr)
                        ours, base = await _rank_case(page, plat, name, truth, ref, lang)
                    break
                if measured:
                    out.append((case, ours, base))
                else:  # e.g. an iframe served by URL: only replay's routing loads it
                    UNMEASURED.append(case)
    await context.close()
    return out


def rates(cases: list[tuple[str, int | None, int | None]], which: int) -> tuple[float, float]:
    ranks = [c[which] for c in cases]
    n = len(ranks) or 1
    return (round(sum(r == 1 for r in ranks) / n, 3),
            round(sum(r is not None and r <= 3 for r in ranks) / n, 3))


async def run(repeat: int) -> tuple[dict[str, Any], list[tuple[str, int | None, int | None]]]:
    from runner.browser import discover, launch, start_playwright

    async with start_playwright() as pw:
        browser = await launch(pw, discover(None), headless=True)
        try:
            canary_s, publish_s = await timings(browser, repeat)
            cases = await sandbox_cases(browser) + await fixture_cases(browser)
        finally:
            await browser.close()
    top1, top3 = rates(cases, 1)
    base1, base3 = rates(cases, 2)
    figures = {
        "canary_s_p50": round(median(canary_s), 2),
        "baseline_publish_s_p50": round(median(publish_s), 2),
        "canary_to_publish_ratio": round(median(canary_s) / median(publish_s), 2),
        "suggestion_cases": len(cases),
        "suggestion_top1_rate": top1,
        "suggestion_top3_rate": top3,
        "baseline_name_only_top1_rate": base1,
        "baseline_name_only_top3_rate": base3,
        "missed_cases": [c[0] for c in cases if c[1] is None or c[1] > 3],
        "unmeasured_cases": UNMEASURED,
    }
    return figures, cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", action="store_true", help="Print every case's ranks.")
    args = parser.parse_args()
    figures, cases = asyncio.run(run(args.repeat))
    if args.cases and not args.json:
        for case, ours, base in cases:
            print(f"{case}: ours {ours}, baseline {base}")
    emit(figures, args.json)


if __name__ == "__main__":
    main()
