"""Placing a match against the head recorded before the publish click, where the platform's
recent posts carry no dates (runner.engine.recent_order): the decision alone."""

from __future__ import annotations

import pytest

from runner.engine.recent_order import HEAD_SIZE, fingerprint, head_position

W, T, H, C, N = "weekly", "same-text", "hiring", "recap", "new"


@pytest.mark.parametrize(("listed", "head", "top"), [
    ([N, W, T, H, C], (W, T, H), 1),       # one newer post above the head
    ([N, N, W, T, H], (W, T, H), 2),       # two newer
    ([W, T, H, C], (W, T, H), 0),          # nothing newer: every match is at or below
    ([T, T, W, T, H], (W, T, H), 2),       # the head's own text repeated above it
    ([N, T, H, C], (W, T, H), None),       # a head post deleted: cannot place
    ([N, "x", "y"], (W, T, H), None),     # pushed out of the list
    ([T, H, T, H, T], (T, H, T), None),    # found twice: cannot tell which
    ([N, W], None, None),                  # never recorded
    ([N, W], (), 2),                       # nothing was listed: all is newer
])
def test_where_the_head_is(listed: list[str], head: tuple[str, ...] | None,
                           top: int | None) -> None:
    assert head_position(listed, head) == top


def test_a_fingerprint_is_the_url_else_the_text_digest() -> None:
    assert fingerprint("https://example.test/p/1", "hello") == "https://example.test/p/1"
    assert fingerprint(None, "hello") == fingerprint("", "hello") != fingerprint(None, "hell")
    assert fingerprint(None, "hello").startswith("text:")
    assert HEAD_SIZE >= 2  # one post alone cannot be placed among repeated texts
