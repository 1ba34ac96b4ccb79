"""`expect.proof_pages` (issue 15): a scenario says on which page a proof must be taken, and
that page must show the post's text then. The check is a pure comparison of what the replay
hooks noted with what the scenario expects."""

from __future__ import annotations

import textwrap
from pathlib import Path

from runner.engine.result import RunResult, Status
from runner.replay import load_scenarios
from runner.replay.replay import ProofPage, compare
from runner.replay.scenarios import LoadedScenario

POST = "https://x.com/example_user/status/1"


def scenario(tmp_path: Path, expect: str) -> LoadedScenario:
    (tmp_path / "scenarios.yaml").write_text(textwrap.dedent(f"""\
        platform: x
        scenarios:
          one:
            post: {{text: hi}}
            pages: {{"https://x.com/**": compose.html}}
            expect: {{status: SUCCEEDED, {expect}}}
        """), encoding="utf-8")
    (sc,) = load_scenarios(tmp_path / "scenarios.yaml")
    return sc


def test_a_proof_on_the_post_page_showing_the_text_passes(tmp_path: Path) -> None:
    sc = scenario(tmp_path, 'proof_pages: {after_publish: "https://x.com/*/status/*"}')
    seen = {"after_publish": ProofPage(POST, shows_text=True)}
    assert compare(sc, RunResult(Status.SUCCEEDED), seen) == []


def test_a_proof_elsewhere_without_the_text_or_missing_fails(tmp_path: Path) -> None:
    sc = scenario(tmp_path, 'proof_pages: {after_publish: "https://x.com/*/status/*"}')
    result = RunResult(Status.SUCCEEDED)
    on_composer = {"after_publish": ProofPage("https://x.com/compose/post", shows_text=True)}
    assert compare(sc, result, on_composer) == [
        "proof_pages: after_publish taken at https://x.com/compose/post, expected "
        "https://x.com/*/status/*"]
    blank = {"after_publish": ProofPage(POST, shows_text=False)}
    assert compare(sc, result, blank) == [
        f"proof_pages: after_publish taken at {POST}, which does not show the post's text"]
    assert compare(sc, result, {}) == [
        "proof_pages: no after_publish proof was taken"]


def test_without_the_key_nothing_is_checked(tmp_path: Path) -> None:
    sc = scenario(tmp_path, "error: null")
    assert compare(sc, RunResult(Status.SUCCEEDED), {}) == []
