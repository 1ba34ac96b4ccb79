"""The definitions endpoints are in the OpenAPI document, described, with their models, and
the heartbeat reply and the start request carry the definitions fields."""

from __future__ import annotations

from pathlib import Path

from tests.unit.server.openapi_check import assert_documented, openapi_document

PATHS = {
    ("post", "/api/definitions"),
    ("get", "/api/definitions"),
    ("get", "/api/definitions/current"),
    ("get", "/api/definitions/{version}/bundle"),
    ("post", "/api/definitions/{version}/rollback"),
}


def test_every_definitions_operation_is_documented(tmp_path: Path) -> None:
    doc = openapi_document(tmp_path)
    assert_documented(doc, PATHS, "definitions")
    push = doc["paths"]["/api/definitions"]["post"]
    assert "REPLAY_FAILED" in push["responses"]["422"]["description"]
    schemas = doc["components"]["schemas"]
    assert {"version", "hash", "url"} == set(schemas["DefinitionsOffer"]["properties"])
    assert "definitions" in schemas["HeartbeatResponse"]["properties"]
    assert "definitionsHash" in schemas["HeartbeatRequest"]["properties"]
    start = doc["paths"]["/api/publishing/jobs/{jobId}/start"]["post"]["requestBody"]
    assert start["content"]["application/json"]["schema"]["$ref"].endswith("/StartRequest")
    assert {"definitionsVersion", "definitionsHash"} <= set(schemas["Run"]["properties"])
