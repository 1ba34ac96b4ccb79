"""The definitions endpoints are in the OpenAPI document, described, with their models, and
the heartbeat reply and the start request carry the definitions fields."""

from __future__ import annotations

from pathlib import Path

from server.app import create_app
from server.settings import ServerSettings

PATHS = {
    ("post", "/api/definitions"),
    ("get", "/api/definitions"),
    ("get", "/api/definitions/current"),
    ("get", "/api/definitions/{version}/bundle"),
    ("post", "/api/definitions/{version}/rollback"),
}


def test_every_definitions_operation_is_documented(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path, db=str(tmp_path / "s.db"),
                                    operator_token="o", enroll_token="e"))
    doc = app.openapi()
    for method, path in PATHS:
        op = doc["paths"][path][method]
        assert op["tags"] == ["definitions"], path
        assert len(op.get("description", "")) > 40, path
    push = doc["paths"]["/api/definitions"]["post"]
    assert "REPLAY_FAILED" in push["responses"]["422"]["description"]
    schemas = doc["components"]["schemas"]
    assert {"version", "hash", "url"} == set(schemas["DefinitionsOffer"]["properties"])
    assert "definitions" in schemas["HeartbeatResponse"]["properties"]
    assert "definitionsHash" in schemas["HeartbeatRequest"]["properties"]
    start = doc["paths"]["/api/publishing/jobs/{jobId}/start"]["post"]["requestBody"]
    assert start["content"]["application/json"]["schema"]["$ref"].endswith("/StartRequest")
    assert {"definitionsVersion", "definitionsHash"} <= set(schemas["Run"]["properties"])
