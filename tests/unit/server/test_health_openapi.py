"""The selector-health endpoints are in the OpenAPI document, described, with their models."""

from __future__ import annotations

from pathlib import Path

from server.app import create_app
from server.settings import ServerSettings

PATHS = {
    ("post", "/api/devices/{deviceId}/canary-proofs"),
    ("post", "/api/devices/{deviceId}/canary-results"),
    ("get", "/api/devices/{deviceId}/next-due"),
    ("get", "/api/selector-health"),
    ("get", "/api/canary-results"),
}


def test_every_selector_health_operation_is_documented(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path, db=str(tmp_path / "s.db"),
                                    operator_token="o", enroll_token="e"))
    doc = app.openapi()
    for method, path in PATHS:
        op = doc["paths"][path][method]
        assert op["tags"] == ["selector health"], path
        assert len(op.get("description", "")) > 40, path
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
