"""The canary's decisions without a browser: verdicts, the refusal rule, the table."""

from __future__ import annotations

from pathlib import Path

from runner.canary.report import build_report
from runner.canary.run import canary_image, takes_image
from runner.canary.table import render
from runner.engine import load_platform
from runner.engine.canary import publish_selectors, refusal
from runner.engine.engine import CanaryOutcome
from runner.engine.result import Lookup, RecentCheck, RunResult, Status
from runner.engine.steps import Click, Press, WaitFor


def _outcome(status: Status = Status.SUCCEEDED, *, fallback: bool = False,
             posted: bool | None = False, discarded: bool | None = True) -> CanaryOutcome:
    result = RunResult(status=status)
    result.lookups["composer"] = Lookup("composer", 2 if fallback else 1, 2, 1, 12.0, "open")
    if status is Status.FAILED:
        result.failed_selector, result.failed_phase = "postButton", "confirm"
        result.error_message = "Post button not found"
    return CanaryOutcome(result, RecentCheck(discarded), RecentCheck(posted))


def test_verdicts() -> None:
    plat = load_platform("sandbox")
    assert build_report(plat, "main", _outcome()).verdict == "healthy"
    assert build_report(plat, "main", _outcome(fallback=True)).verdict == "degraded"
    broken = build_report(plat, "main", _outcome(Status.FAILED))
    assert broken.verdict == "broken" and broken.broken_phase == "confirm"
    assert broken.broken_where == f"selectors/sandbox.yaml:{plat.selector_line('postButton')}"
    assert build_report(plat, "main", _outcome(Status.NEEDS_LOGIN)).verdict == "inconclusive"
    # Found among the recent posts: broken whatever else happened.
    assert build_report(plat, "main", _outcome(posted=True)).verdict == "broken"
    assert build_report(plat, "main", _outcome(Status.NEEDS_LOGIN,
                                               posted=True)).verdict == "broken"
    assert build_report(plat, "main", _outcome(discarded=False)).verdict == "broken"
    assert [build_report(plat, "main", _outcome(s)).exit_code
            for s in (Status.SUCCEEDED, Status.FAILED)] == [0, 4]


def test_refusal_rule() -> None:
    plat = load_platform("sandbox")
    guarded = publish_selectors(plat.playbook)
    assert guarded == {"postButton"}
    assert refusal(Click(selector="postButton"), guarded) is not None
    assert refusal(WaitFor(selector="postButton", state="enabled"), guarded) is None
    assert refusal(Click(selector="composer"), guarded) is None
    assert refusal(Press(key="Control+Enter"), guarded) is not None
    assert refusal(Press(key="ControlOrMeta+a", selector="composerTextarea"), guarded) is None


def test_image_only_where_the_playbook_uploads(tmp_path: Path) -> None:
    png = canary_image(tmp_path)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert takes_image(load_platform("sandbox"), png)


def test_table_plain_and_rich() -> None:
    report = build_report(load_platform("sandbox"), "main", _outcome(Status.FAILED))
    for use_rich in (False, None):
        text = render(report, use_rich=use_rich)
        assert "composer" in text and "verdict: broken" in text
        assert "postButton (selectors/sandbox.yaml:" in text
