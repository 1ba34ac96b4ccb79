"""General engine features on small HTML pages served over real HTTP, in real Chromium:
frames per candidate, branches (`wait_for any … into`), optional dialogs, waits that fail
fast on an error element, and typing methods that human pacing never changes."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, EngineOptions, Post, Status
from runner.engine.definitions import load_files

pytestmark = pytest.mark.browser

PAGES = {
    "frames.html": """<!doctype html><html><body>
<div id="dialog"><iframe id="ed" src="editor.html"></iframe>
<button id="post" onclick="document.title='posted'">Post</button></div></body></html>""",
    "editor.html": """<!doctype html><html><body>
<textarea id="t"></textarea><div id="box"><span class="inner">inside</span></div>
</body></html>""",
    "layout-a.html": "<!doctype html><main><div id='a'>A</div></main>",
    "layout-b.html": """<!doctype html><main><div id='b' style='display:none'>B</div>
<script>setTimeout(() => document.getElementById('b').style.display = 'block', 200)</script>
</main>""",
    "dialog.html": """<!doctype html><main><p>page</p><script>setTimeout(() => {
  const d = document.createElement('div'); d.id = 'dlg'; d.setAttribute('role', 'dialog');
  d.innerHTML = '<p>Post now?</p><button id="ok">Post now</button>';
  d.querySelector('button').onclick = () => d.remove(); document.body.append(d);
}, 300)</script></main>""",
    "plain.html": "<!doctype html><main><p>no dialog here</p></main>",
    "upload.html": """<!doctype html><main><div id="progress">0%</div><script>
const bad = location.search.includes('bad');
setTimeout(() => { const e = document.createElement('div');
  if (bad) { e.id = 'err'; e.setAttribute('role', 'alert');
             e.textContent = 'This file type is not supported.'; }
  else { e.id = 'done'; e.textContent = 'Uploaded'; }
  document.body.append(e); }, 300)</script></main>""",
    "typing.html": """<!doctype html><main><textarea id="t"></textarea><script>
window.keys = 0; document.getElementById('t').addEventListener('keydown', () => window.keys++);
</script></main>""",
}

SELECTORS = """platform: features
version: 1
selectors:
  field:
    frame: 'iframe#ed'
    candidates:
      - css: '#nowhere'
      - css: 'textarea#t'
  postButton:
    frame: 'iframe#ed'
    candidates:
      - css: 'button#post'
        frame: top
  box:
    candidates:
      - css: '#box'
        frame: 'iframe#ed'
  inner:
    scope: box
    candidates:
      - css: '.inner'
  layoutA: {candidates: [{css: '#a'}]}
  layoutB: {candidates: [{css: '#b'}]}
  dlg: {candidates: [{role: dialog}]}
  dlgOk: {candidates: [{role: button, name: Post now}]}
  dlgMissing: {candidates: [{css: '#not-a-button'}]}
  uploadDone: {candidates: [{css: '#done'}]}
  uploadError: {candidates: [{role: alert}]}
  textbox: {candidates: [{css: 'textarea#t'}]}
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def play(open_page: Any, site: str, tmp_path: Path) -> Any:
    """Async factory: run a playbook (its `phases:` YAML) against the pages; returns
    (result, page)."""

    async def run(phases: str, *, human: bool = False, **options: Any) -> tuple[Any, Any]:
        (tmp_path / "playbooks").mkdir(exist_ok=True)
        (tmp_path / "selectors").mkdir(exist_ok=True)
        (tmp_path / "selectors" / "features.yaml").write_text(SELECTORS, encoding="utf-8")
        book = tmp_path / "playbooks" / "features.yaml"
        book.write_text(f"platform: features\nbase_url: {site}\nhuman: {str(human).lower()}\n"
                        f"phases:\n{phases}", encoding="utf-8")
        platform = load_files(book, root=tmp_path)
        engine = Engine(platform, EngineOptions(trace=False, proof_format="raw", **options))
        page = await open_page(None)
        result = await engine.run(page, Post("Hello 👋 مرحبا"), tmp_path / "out")
        return result, page

    return run


def records(result: Any) -> dict[str, Any]:
    return {r.step: r for r in result.steps}


@pytest.mark.asyncio
async def test_a_candidate_may_set_its_own_frame_and_scopes_follow_their_frame(
        play: Any) -> None:
    result, page = await play("""
  open:
    - goto: '{{ base_url }}/frames.html'

  compose:
    - type: {selector: field, text: "{{ post.text }}"}
  publish: [click: postButton]
  verify:
    - assert: {selector: inner, text: inside}
""")
    assert result.status is Status.SUCCEEDED, result.error_message
    assert result.resolutions["field"] == 2  # the selector's frame, second candidate
    assert await page.title() == "posted"  # the button on the top page was clicked
    typed = await page.frame_locator("iframe#ed").locator("#t").input_value()
    assert typed == "Hello 👋 مرحبا"


@pytest.mark.parametrize(("page_name", "shown", "hidden"), [("layout-a", "layoutA", "layoutB"),
                                                            ("layout-b", "layoutB", "layoutA")])
@pytest.mark.asyncio
async def test_wait_for_any_into_records_which_appeared(play: Any, page_name: str, shown: str,
                                                        hidden: str) -> None:
    result, _ = await play(f"""
  open:
    - goto: '{{{{ base_url }}}}/{page_name}.html'
    - wait_for: {{any: [layoutA, layoutB], into: layout}}
    - extract: {{selector: {shown}, into: seen, when: layout.{shown}, label: on {shown}}}
    - extract: {{selector: {hidden}, into: seen, when: layout.{hidden}, label: on {hidden}}}
""")
    assert result.status is Status.SUCCEEDED, result.error_message
    steps = records(result)
    assert f"{shown} appeared" in steps["wait_for"].message
    assert "layout." + shown in steps["wait_for"].message
    assert steps[f"on {shown}"].status == "ok"
    assert steps[f"on {hidden}"].status == "skipped"


@pytest.mark.asyncio
async def test_into_refuses_the_runs_own_names(play: Any) -> None:
    from common.errors import DefinitionError

    with pytest.raises(DefinitionError, match="into"):
        await play("  open:\n    - wait_for: {any: [layoutA], into: post}\n")


@pytest.mark.asyncio
async def test_dismiss_clicks_a_dialog_that_shows_late(play: Any) -> None:
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/dialog.html'
    - dismiss: {selector: dlg, button: dlgOk, within: 3s}
    - assert: {selector: dlg, state: hidden}
""")
    assert result.status is Status.SUCCEEDED, result.error_message
    assert records(result)["dismiss dlg"].message == "dismissed dlg"


@pytest.mark.asyncio
async def test_dismiss_of_an_absent_dialog_is_quick_and_never_an_error(play: Any) -> None:
    started = time.perf_counter()
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/plain.html'
    - dismiss: {selector: dlg, button: dlgOk, within: 500ms}
""")
    assert result.status is Status.SUCCEEDED, result.error_message
    step = records(result)["dismiss dlg"]
    assert step.message == "dlg not present" and step.status == "ok"
    assert 400 <= step.duration_ms < 1500
    assert time.perf_counter() - started < 10


@pytest.mark.asyncio
async def test_an_optional_dismiss_that_fails_is_never_slower_than_within(play: Any) -> None:
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/dialog.html'
    - wait_for: dlg
    - dismiss: {selector: dlg, button: dlgMissing, within: 700ms, optional: true}
""")
    assert result.status is Status.SUCCEEDED, result.error_message
    step = records(result)["dismiss dlg"]
    assert step.status == "warning" and "optional step failed" in step.message
    assert step.duration_ms < 700 + 250, step.duration_ms


@pytest.mark.asyncio
async def test_a_required_dismiss_whose_button_is_missing_fails(play: Any) -> None:
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/dialog.html'
    - wait_for: dlg
    - dismiss: {selector: dlg, button: dlgMissing, timeout: 1s}
""")
    assert result.status is Status.FAILED
    assert result.error_code == "SELECTOR_NOT_FOUND" and "dlgMissing" in result.error_message


@pytest.mark.asyncio
async def test_wait_for_fails_fast_with_the_platforms_message(play: Any) -> None:
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/upload.html?bad'
    - wait_for: {selector: uploadDone, fail_on: uploadError, code: MEDIA_REJECTED, timeout: 20s}
""")
    assert result.status is Status.FAILED
    assert result.error_code == "MEDIA_REJECTED"
    assert "This file type is not supported." in result.error_message
    assert result.duration_s < 8  # not the 20 s timeout


@pytest.mark.asyncio
async def test_wait_for_with_fail_on_succeeds_when_the_target_shows(play: Any) -> None:
    result, _ = await play("""
  open:
    - goto: '{{ base_url }}/upload.html'
    - wait_for: {selector: uploadDone, fail_on: uploadError, code: MEDIA_REJECTED}
""")
    assert result.status is Status.SUCCEEDED, result.error_message


TYPE = """
  compose:
    - goto: '{{ base_url }}/typing.html'
    - type: {selector: textbox, text: "typed ✓", method: insert_text}
"""


@pytest.mark.asyncio
async def test_human_pacing_keeps_the_named_method(play: Any) -> None:
    result, page = await play(TYPE, human=True)
    assert result.status is Status.SUCCEEDED, result.error_message
    assert await page.evaluate("window.keys") == 0  # insert_text: no key events


@pytest.mark.parametrize("method", ["keyboard", "fill", "paste", "insert_text"])
@pytest.mark.asyncio
async def test_an_option_forces_each_method(play: Any, method: str) -> None:
    result, page = await play(TYPE, type_method=method)
    assert result.status is Status.SUCCEEDED, result.error_message
    assert await page.locator("#t").input_value() == "typed ✓"
    keys = await page.evaluate("window.keys")
    # A key per ASCII character; Chromium inserts "✓" without a key event.
    assert (keys == len("typed ")) if method == "keyboard" else keys == 0
