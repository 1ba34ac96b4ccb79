"""One chaos stack per module (server, daemon home, the session's sandbox): starting a
Chromium per scenario would make the short suite too slow for CI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chaos.harness import Chaos


@pytest.fixture(scope="module")
def chaos(sandbox_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chaos]:
    sandbox_server.state.reset()
    stack = Chaos(Path(tmp_path_factory.mktemp("chaos")), sandbox_server)
    yield stack
    stack.close()
    sandbox_server.state.reset()
