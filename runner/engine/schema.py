"""JSON Schemas (draft-07) of the two file formats, for editor completion.

Steps are single-key objects, one `anyOf` branch per step, so editors offer each step once.
"""

from __future__ import annotations

from typing import Any

from runner.engine.playbook import PHASES, PlaybookHeader
from runner.engine.selectorfile import SelectorFile
from runner.engine.steps import STEP_TYPES

DRAFT = "http://json-schema.org/draft-07/schema#"


def _move_defs(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    defs.update(schema.pop("$defs", {}))
    return schema


def selectors_schema() -> dict[str, Any]:
    schema = SelectorFile.model_json_schema(ref_template="#/definitions/{model}")
    schema["definitions"] = schema.pop("$defs", {})
    return {"$schema": DRAFT, **schema, "title": "publish-runner selector file"}


def playbook_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    branches = []
    for kind, cls in sorted(STEP_TYPES.items()):
        args = _move_defs(cls.model_json_schema(ref_template="#/definitions/{model}"), defs)
        args.pop("title", None)
        value: dict[str, Any] = args
        if cls.shorthand:
            short = args["properties"][cls.shorthand]
            value = {"anyOf": [args, {k: v for k, v in short.items() if k != "title"}]}
        defs[f"step_{kind}"] = {
            "type": "object",
            "description": (cls.__doc__ or kind).strip().splitlines()[0],
            "properties": {kind: value},
            "required": [kind],
            "additionalProperties": False,
        }
        branches.append({"$ref": f"#/definitions/step_{kind}"})
    steps = {"type": "array", "items": {"anyOf": branches}}
    header = _move_defs(PlaybookHeader.model_json_schema(ref_template="#/definitions/{model}"),
                        defs)
    header["properties"]["phases"] = {
        "type": "object",
        "properties": {phase: steps for phase in PHASES},
        "additionalProperties": False,
    }
    header["properties"]["recent_posts"] = steps
    return {"$schema": DRAFT, **header, "title": "publish-runner playbook", "definitions": defs}
