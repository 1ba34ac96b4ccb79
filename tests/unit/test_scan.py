"""The fixtures guard: what looks like a secret or personal data is flagged, UI is not."""

from __future__ import annotations

import pytest

from runner.capture.scan import scan

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw"


@pytest.mark.parametrize(("text", "kind"), [
    ("<p>write to john.doe@gmail.com</p>", "email"),
    ("<a href='mailto:ops@company.co.uk'>", "email"),
    ("<p>call +1 (415) 555-0132</p>", "phone"),
    ("<p>+966 50 123 4567</p>", "phone"),
    ("<a href='tel:+442079460958'>", "phone"),
    ("<p>415-555-0132</p>", "phone"),
    (f"<script>t = '{JWT}'</script>", "jwt"),
    ("Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid", "bearer-token"),
    ("<meta name='csrf-token' content='Xk2Jd9QpL0aZ7wE1rT5yU8iO3p'>", "csrf-token"),
    ("<input type=hidden name=authenticity_token value='Xk2Jd9QpL0aZ7wE1rT5yU8iO3p'>",
     "csrf-token"),
    ("document.cookie = 'sessionid=8f2a9c1e7b3d4f5a6c7e8d9f0a1b2c3d'", "session-cookie"),
    ("Set-Cookie: sandbox_session=Zt4k9VqL2mXw8RpN5sYd1Fh6", "session-cookie"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws-key"),
    ("key: AIzaSyA-1234567890abcdefghijklmnopqrstu", "google-key"),
    ("<div data-state='9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'>",
     "secret-attribute"),
    ("<div data-blob='Q2xpZW50U2VjcmV0OnN1cGVyLXNlY3JldC12YWx1ZS0xMjM0NQ'>",
     "secret-attribute"),
    ("<img src='https://cdn.x/p.jpg?oh=00_AbCdEfGhIjKl&oe=65'>", "url-token"),
])
def test_flags_secrets_and_personal_data(text: str, kind: str) -> None:
    assert kind in {f.kind for f in scan(text)}


@pytest.mark.parametrize("text", [
    "<p>write to jane@example.com or ops@mail.example.org or a@b.test or x@y.invalid</p>",
    "<img src='logo@2x.png'> <span>react@18.2.0</span>",
    "<svg viewBox='0 0 24 24'><path d='M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4'/></svg>",
    "<style>.a{width:calc(100% + 12px);color:rgba(0, 0, 0, 0.2)}@media (max-width:600px){}</style>",
    "<time datetime='2026-05-01T12:30:00+00:00'>2026-05-01 12:30 UTC</time> 0/280",
    "<p>Call +0 (000) 000-0000 or +000 00 000 0000</p>",
    "<img src='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUl'>",
    "<div class='css-1dbjc4n r-18u37iz r-1wbh5a2' data-testid='tweetTextarea_0'>@jane</div>",
    "<p>token xxxxXxxxxxXXxxx0xxxx0.xxXxxxxxxXxxxx</p>",
    "<div data-post-id='1001' id='a7f3-4c2e-9b1d'>uuid 123e4567-e89b-12d3-a456-426614174000</div>",
])
def test_leaves_ui_markup_and_synthetic_data_alone(text: str) -> None:
    assert scan(text) == []


def test_findings_point_at_the_line_and_mask_the_value() -> None:
    text = "<html>\n<body>\n<p>hello</p>\n<p>john.doe@gmail.com</p>\n</body>"
    (finding,) = scan(text)
    assert finding.line == 4 and finding.kind == "email"
    assert "john.doe@gmail.com" not in finding.excerpt and finding.excerpt.startswith("john")
    assert str(finding).startswith("line 4: email: ")
