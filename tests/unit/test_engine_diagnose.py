"""Near-match scoring and candidate writing, without a browser."""

from __future__ import annotations

import re

from runner.engine.diagnose import Element, Suggestion, _options, score
from runner.engine.locate import text_pattern

OLD_EDITOR = Element(tag="div", role="textbox", name="Post text", testid="composer-text",
                     classes=("editor", "js-editor"), path="main>section>div>div>div")
NEW_EDITOR = Element(tag="textarea", role="textbox", name="Write something",
                     placeholder="Share an update", classes=("editor", "js-editor"),
                     path="main>div>div>div>textarea")
COUNTER = Element(tag="span", classes=("counter", "js-counter"), path="main>div>div>span",
                  text="280")


def test_the_redesigned_editor_outranks_its_neighbours() -> None:
    ours, why = score(OLD_EDITOR, NEW_EDITOR)
    assert ours > score(OLD_EDITOR, COUNTER)[0]
    assert "same role textbox" in why and any(w.startswith("classes") for w in why)


def test_a_file_input_is_only_replaced_by_a_file_input() -> None:
    old = Element(tag="input", type="file", classes=("js-file",))
    assert score(old, Element(tag="button", classes=("js-file",)))[0] == 0
    assert score(old, Element(tag="input", type="file"))[0] > 0


def test_candidates_most_stable_first_in_the_page_language() -> None:
    options = _options(NEW_EDITOR, "ar")
    assert options[0] == {"role": "textbox", "name": {"ar": "Write something"}}
    assert {"placeholder": {"ar": "Share an update"}} in options
    assert {"css": "textarea.editor.js-editor"} in options
    assert _options(Element(tag="div", classes=("1x",)), "en") == [{"css": "div.\\31 x"}]
    item = Suggestion(1, 5.0, NEW_EDITOR, options[0]).yaml
    assert item == "- {role: textbox, name: {ar: Write something}}"


def test_a_name_with_a_slash_is_one_pattern() -> None:
    """Playwright writes the pattern between slashes: a bare "/" would end it early."""
    pattern = text_pattern("Feeling/activity", "en", exact=True)
    assert "\\/" in pattern.pattern and re.search(pattern, "Feeling/activity")
