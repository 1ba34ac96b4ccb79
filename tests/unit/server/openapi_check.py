"""The server's OpenAPI document, and the check every documented operation must pass."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from server.app import create_app
from server.settings import ServerSettings

__all__ = ["assert_documented", "openapi_document"]


def openapi_document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(ServerSettings(data_dir=tmp_path, db=str(tmp_path / "s.db"),
                                    operator_token="o", enroll_token="e"))
    return app.openapi()


def assert_documented(doc: dict[str, Any], operations: Iterable[tuple[str, str]],
                      tag: str) -> None:
    """Each (method, path) is in the document under `tag`, with a real description."""
    for method, path in operations:
        op = doc["paths"][path][method]
        assert op["tags"] == [tag], path
        assert len(op.get("description", "")) > 40, path
