"""`wait_for: {selector, text}` (issue 15): the after-publish proof is taken once the post's
own page shows the post's text. Real Chromium on pages served over real HTTP: a text that
shows late (its emoji drawn as images, as X does), a page that shows another post, and a
page without the element all end as the playbook says (its `code` and `message`)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from common.errors import DefinitionError
from runner.engine import Engine, EngineOptions, Post, Status
from runner.engine.definitions import load_files

pytestmark = pytest.mark.browser

TEXT = "Hello 👋 مرحبا"
HEAD = '<!doctype html><meta charset="utf-8">'
PAGES = {
    # The text arrives after the page loads; the emoji is an <img alt>, not a character.
    "late.html": HEAD + """<main><article id="a"></article><script>
setTimeout(() => { document.getElementById('a').innerHTML =
  '<div class="text"><span>Hello </span><img alt="👋" src="data:,"><span> مرحبا</span></div>';
}, 400)</script></main>""",
    "other.html": HEAD + '<main><article><div class="text">Another post</div></article></main>',
    "gone.html": HEAD + "<main><p>This page doesn't exist.</p></main>",
}
SELECTORS = """platform: features
version: 1
selectors:
  postText: {many: true, candidates: [{css: 'article .text'}]}
"""
VERIFY = """
  open:
    - goto: '{{{{ base_url }}}}/{page}'
  verify:
    - wait_for:
        selector: postText
        text: "{{{{ post.text }}}}"
        timeout: 3s
        code: VERIFY_IMPOSSIBLE
        message: "the post's page {{{{ base_url }}}}/{page} did not show it"
    - screenshot: after_publish
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pages")
    for name, html in PAGES.items():
        (root / name).write_text(html, encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def play(open_page: Any, site: str, tmp_path: Path) -> Any:
    async def run(phases: str) -> Any:
        (tmp_path / "playbooks").mkdir(exist_ok=True)
        (tmp_path / "selectors").mkdir(exist_ok=True)
        (tmp_path / "selectors" / "features.yaml").write_text(SELECTORS, encoding="utf-8")
        book = tmp_path / "playbooks" / "features.yaml"
        book.write_text(f"platform: features\nbase_url: {site}\nhuman: false\n"
                        f"phases:\n{phases}", encoding="utf-8")
        engine = Engine(load_files(book, root=tmp_path),
                        EngineOptions(trace=False, proof_format="raw"))
        return await engine.run(await open_page(None), Post(TEXT), tmp_path / "out")

    return run


@pytest.mark.asyncio
async def test_the_proof_waits_until_the_post_text_shows(play: Any) -> None:
    result = await play(VERIFY.format(page="late.html"))
    assert result.status is Status.SUCCEEDED, result.error_message
    wait = next(s for s in result.steps if s.step == "wait_for postText")
    assert wait.message.endswith("shows the text")
    assert wait.duration_ms >= 300  # it waited for the late text, then the proof
    assert [p.kind for p in result.proofs] == ["after_publish"]


@pytest.mark.parametrize(("page", "said"), [
    ("other.html", "postText reads 'Another post'"),
    ("gone.html", "postText not found at"),
])
@pytest.mark.asyncio
async def test_a_page_that_never_shows_the_text_ends_with_the_playbooks_code(
        play: Any, page: str, said: str) -> None:
    result = await play(VERIFY.format(page=page))
    assert result.status is Status.FAILED
    assert result.error_code == "VERIFY_IMPOSSIBLE"
    assert result.error_message.startswith("the post's page http://127.0.0.1")
    assert said in result.error_message
    assert [p.kind for p in result.proofs] == ["on_failure"]  # no after-publish proof


@pytest.mark.asyncio
async def test_text_without_code_or_message_fails_as_a_timeout(play: Any) -> None:
    result = await play("""
  open:
    - goto: '{{ base_url }}/other.html'
    - wait_for: {selector: postText, text: "{{ post.text }}", timeout: 500ms}
""")
    assert result.status is Status.FAILED
    assert result.error_code == "TIMEOUT"
    assert "postText did not show 'Hello 👋 مرحبا'" in result.error_message


@pytest.mark.parametrize("step", [
    "{url: '**/x', text: a}",
    "{selector: postText, state: hidden, text: a}",
    "{selector: postText, message: m}",
])
@pytest.mark.asyncio
async def test_text_goes_with_a_visible_selector(play: Any, step: str) -> None:
    with pytest.raises(DefinitionError, match=r"`text`|`message`"):
        await play(f"  open:\n    - wait_for: {step}\n")
