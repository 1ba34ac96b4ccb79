"""The sandbox's `slow_upload` fault (the chaos suite's upload window): only the media
upload is held back, and the site accepts the file only once the hold is over."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox import SLOW_UPLOAD, SandboxServer
from tests.sandbox_fixtures import png_bytes

HOLD_MS = 800


@pytest.fixture(scope="module")
def sb() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def client(sb: SandboxServer) -> httpx.Client:
    http = httpx.Client(base_url=sb.url, follow_redirects=False, timeout=30)
    cookie = sb.state.login_cookie("main")
    http.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"], path="/")
    return http


def test_only_the_upload_waits_and_is_accepted_after_the_hold(sb: SandboxServer) -> None:
    sb.state.set_faults("main", SLOW_UPLOAD, slow_ms=HOLD_MS)
    try:
        with client(sb) as http:
            started = time.monotonic()
            assert http.get("/compose").status_code == 200
            assert time.monotonic() - started < HOLD_MS / 1000  # pages are not held

            reply: dict[str, httpx.Response] = {}
            upload = threading.Thread(target=lambda: reply.update(r=http.post(
                "/api/media", files={"file": ("dot.png", png_bytes(), "image/png")})))
            started = time.monotonic()
            upload.start()
            time.sleep(HOLD_MS / 2000)
            assert sb.state.uploads("main") == []  # in flight: not accepted yet
            upload.join(30)
            assert time.monotonic() - started >= HOLD_MS / 1000
            assert reply["r"].status_code == 201, reply["r"].text
            assert [m.id for m in sb.state.uploads("main")] == [reply["r"].json()["id"]]
    finally:
        sb.state.reset()


def test_without_the_fault_the_upload_is_not_held(sb: SandboxServer) -> None:
    sb.state.set_faults("main", slow_ms=HOLD_MS)  # a delay set, the fault off
    try:
        with client(sb) as http:
            started = time.monotonic()
            r = http.post("/api/media", files={"file": ("dot.png", png_bytes(), "image/png")})
            assert r.status_code == 201
            assert time.monotonic() - started < HOLD_MS / 1000
    finally:
        sb.state.reset()
