"""The selector-health endpoints are in the OpenAPI document, described, with their models."""

from __future__ import annotations

from pathlib import Path

from tests.unit.server.openapi_check import assert_documented, openapi_document

PATHS = {
    ("post", "/api/devices/{deviceId}/canary-proofs"),
    ("post", "/api/devices/{deviceId}/canary-results"),
    ("get", "/api/devices/{deviceId}/next-due"),
    ("get", "/api/selector-health"),
    ("get", "/api/canary-results"),
}


def test_every_selector_health_operation_is_documented(tmp_path: Path) -> None:
    doc = openapi_document(tmp_path)
    assert_documented(doc, PATHS, "selector health")
    schemas = doc["components"]["schemas"]
    result = schemas["CanaryResultRequest"]["properties"]
    assert {"definitionsVersion", "definitionsHash", "platform", "account", "verdict",
            "findings", "proofs"} <= set(result)
    assert "hash_root" in result["definitionsHash"]["description"]
    assert schemas["SelectorHealth"]["properties"]["lastHealthyAt"]["description"]
    assert schemas["BrokenSelector"]["properties"]["where"]["description"]
    body = doc["paths"]["/api/devices/{deviceId}/canary-results"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CanaryResultRequest")
