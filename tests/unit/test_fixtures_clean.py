"""No fixture in the repository may carry a secret or personal data.

Fixtures are captured from real accounts and committed; this is the last line of defence
after the sanitiser (see docs/fixtures.md). A fixture that fails here must be re-sanitised
or fixed by hand, never allow-listed silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.capture.scan import scan_file, scan_tree

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw"


def test_repository_fixtures_hold_no_secret_or_personal_data() -> None:
    problems = scan_tree(FIXTURES)
    report = "\n".join(f"{path.relative_to(FIXTURES.parent)}: {finding}"
                       for path, findings in problems.items() for finding in findings)
    assert not problems, "fixtures look like they leak data:\n" + report


@pytest.mark.parametrize(("leak", "kind"), [
    ("<div>john.doe@gmail.com</div>", "email"),
    (f"<script>localStorage.t = '{JWT}'</script>", "jwt"),
])
def test_the_guard_fails_on_a_leaking_fixture(tmp_path: Path, leak: str, kind: str) -> None:
    folder = tmp_path / "fixtures" / "x"
    folder.mkdir(parents=True)
    (folder / "compose.html").write_text(f"<!DOCTYPE html>\n<html><body>\n{leak}\n</body></html>",
                                         encoding="utf-8")
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")  # binary: skipped
    problems = scan_tree(tmp_path / "fixtures")
    assert list(problems) == [folder / "compose.html"]
    (finding,) = problems[folder / "compose.html"]
    assert (finding.kind, finding.line) == (kind, 3)
    assert scan_file(folder / "photo.png") == []
