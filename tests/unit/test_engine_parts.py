"""The engine's pure parts: templates, name matching across locales, URL globs, proofs."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from runner.engine.engine import glob_to_regex
from runner.engine.locate import normalise, pick, strip_bidi, text_pattern
from runner.engine.proofs import encode
from runner.engine.steps import parse_duration
from runner.engine.templates import TemplateError, render, truthy

VALUES = {"post": {"text": "مرحبا 👋", "media": ["/a.png", "/b.png"]}, "base_url": "http://h",
          "account": "main", "vars": {}}


def test_render_keeps_raw_values_for_a_lone_placeholder() -> None:
    assert render("{{ post.media }}", VALUES) == ["/a.png", "/b.png"]
    assert render("{{base_url}}/u/{{ account }}", VALUES) == "http://h/u/main"
    assert render("{{ post.text }}", VALUES) == "مرحبا 👋"


def test_render_refuses_unknown_names() -> None:
    with pytest.raises(TemplateError, match=r"post\.title"):
        render("{{ post.title }}", VALUES)


def test_when_conditions() -> None:
    assert truthy("post.media", VALUES)
    assert not truthy("not post.media", VALUES)
    assert not truthy("vars.missing", VALUES)
    assert truthy("{{ post.text }}", VALUES)


def test_bidi_marks_are_ignored_in_names() -> None:
    pattern = text_pattern({"en": "Post", "ar": "نشر"}, "auto", exact=True)
    assert pattern.match("\u200fنشر")
    assert pattern.match("نشر\u200e")
    assert pattern.match("Post")
    assert not pattern.match("نشر الكل")  # whole-name, unlike Playwright's substring default
    assert not pattern.match("Submit post")


def test_locale_picks_one_name_or_all() -> None:
    names = {"en": "Post", "ar": "نشر"}
    assert pick(names, "ar") == ["نشر"]
    assert pick(names, "auto") == ["Post", "نشر"]
    assert pick(names, "fr") == ["Post", "نشر"]
    assert pick("Post", "ar") == ["Post"]


def test_normalise() -> None:
    assert strip_bidi("\u2067abc\u2069") == "abc"
    assert normalise("  a \n b\u200f ") == "a b"


def test_url_globs() -> None:
    assert glob_to_regex("**/login*").match("https://x.com/i/flow/login?redirect=1")
    assert not glob_to_regex("https://x.com/*").match("https://x.com/a/b")
    assert glob_to_regex("https://x.com/**").match("https://x.com/a/b")


def test_durations() -> None:
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2m") == 120
    assert parse_duration(3) == 3.0
    with pytest.raises(ValueError):
        parse_duration("soon")


def _screenshot_like() -> bytes:
    img = Image.new("RGB", (1280, 800), "white")
    for y in range(0, 800, 40):
        img.paste((30, 30, 200), (100, y, 1100, y + 12))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("fmt,magic", [("webp", b"RIFF"), ("png", b"\x89PNG")])
def test_proof_encoding_keeps_size_and_shrinks(fmt: str, magic: bytes) -> None:
    data, width, height = encode(_screenshot_like(), fmt)
    assert data.startswith(magic)
    assert (width, height) == (1280, 800)
    assert len(data) <= 200_000


def test_unknown_proof_format() -> None:
    with pytest.raises(ValueError, match=re.escape("'gif'")):
        encode(_screenshot_like(), "gif")
