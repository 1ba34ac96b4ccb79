"""JSON Schemas (draft-07) of the three file formats, for editors and CI.

The schemas are generated from the pydantic models and shipped in `docs/schema/`
(`publish-runner schema --write docs/schema`; a test checks they are current). They must
accept every file the tool accepts and refuse what it refuses, so three things the models
say in code are written out here as schema:

- durations (`timeout: 5s`) are parsed before validation: a number or a duration string;
- cross-field rules of `model_validator`s ("exactly one of selector, url"): `_RULES`, one
  entry per model that has such a validator (a test fails when one is added without);
- step syntax: a one-key mapping whose value is the step's arguments, or its main argument
  alone (`- click: postButton`); `publish` steps take no `retries`.

What no schema can see stays with `lint`: duplicate keys, selectors used but not defined,
a `scope` naming another selector, fixture files that do not exist.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from runner.engine.playbook import IRREVERSIBLE_PHASE, PHASES, PlaybookHeader
from runner.engine.selectorfile import STRATEGIES, Candidate, SelectorFile
from runner.engine.steps import (
    STEP_TYPES,
    Assert,
    Challenge,
    Extract,
    LoginWall,
    WaitFor,
)

DRAFT = "http://json-schema.org/draft-07/schema#"
KINDS = ("playbook", "selectors", "scenarios")
DURATION_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$"
DURATION: dict[str, Any] = {
    "anyOf": [{"type": "number"}, {"type": "string", "pattern": DURATION_PATTERN}],
}
__all__ = ["DRAFT", "KINDS", "file_name", "generate", "playbook_schema", "render",
           "scenarios_schema", "selectors_schema", "stale", "write_all"]


def _given(name: str) -> dict[str, Any]:
    """`name` is present and not null (pydantic treats `key: null` as absent here)."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def _exactly_one(*names: str) -> dict[str, Any]:
    return {"oneOf": [_given(n) for n in names]}


def _at_least_one(*names: str) -> dict[str, Any]:
    return {"anyOf": [_given(n) for n in names]}


# The `model_validator` rules of each model, as schema (keep in step with the models).
_RULES: dict[type[BaseModel], list[dict[str, Any]]] = {
    Candidate: [
        _exactly_one(*STRATEGIES),
        {"anyOf": [{"not": _given("name")}, _given("role")]},  # `name` goes with `role`
    ],
    WaitFor: [_exactly_one("selector", "url", "any"),
              {"anyOf": [{"not": _given("into")}, _given("any")]}],  # `into` goes with `any`
    Assert: [_exactly_one("selector", "url")],
    Extract: [{"oneOf": [
        {"required": ["url"], "properties": {"url": {"const": True}}},
        _given("selector"),
    ]}],
    LoginWall: [_at_least_one("url", "selector")],
    Challenge: [_at_least_one("url", "selector")],
}


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from `root`'s fields, by the name pydantic gives its schema."""
    found: dict[str, type[BaseModel]] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for info in tp.model_fields.values():
                visit(info.annotation)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return found


def _duration_fields(model: type[BaseModel]) -> set[str]:
    """Fields whose `before` validator parses a duration, so a string like '5s' is valid."""
    fields: set[str] = set()
    for dec in model.__pydantic_decorators__.field_validators.values():
        code = getattr(getattr(dec.func, "__func__", dec.func), "__code__", None)
        if code is not None and "parse_duration" in code.co_names:
            fields.update(dec.info.fields)
    return fields


def _fix(model: type[BaseModel], schema: dict[str, Any]) -> dict[str, Any]:
    """Durations and cross-field rules, which pydantic's generator does not see."""
    props = schema.get("properties", {})
    for name in _duration_fields(model):
        old = props[name]
        keep = {k: v for k, v in old.items() if k in ("default", "description", "title")}
        nullable = any(b.get("type") == "null" for b in old.get("anyOf", []))
        value = {"anyOf": [*DURATION["anyOf"], {"type": "null"}]} if nullable else DURATION
        props[name] = {**keep, **value}
    rules = _RULES.get(model)
    if rules:
        schema["allOf"] = list(rules)
    return schema


def _schema(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    """`model`'s schema with its nested models fixed and moved into `defs`."""
    schema = model.model_json_schema(ref_template="#/definitions/{model}")
    nested = _models(model)
    for name, sub in schema.pop("$defs", {}).items():
        defs[name] = _fix(nested[name], sub) if name in nested else sub
    return _fix(model, schema)


def _steps(defs: dict[str, Any]) -> dict[str, Any]:
    """Definitions for each step kind; returns the schema of one step."""
    branches: list[dict[str, Any]] = []
    bare: list[str] = []
    for kind, cls in sorted(STEP_TYPES.items()):
        args = _schema(cls, defs)
        args.pop("title", None)
        value: dict[str, Any] = args
        alternatives: list[dict[str, Any]] = [args]
        if cls.shorthand:
            short = {k: v for k, v in args["properties"][cls.shorthand].items()
                     if k not in ("title", "default")}
            # A scalar fills the main argument; null means "no arguments" (below).
            alternatives.append({"allOf": [short, {"not": {"type": ["object", "null"]}}]})
        if _validates(cls, {}):
            alternatives.append({"type": "null"})
            bare.append(kind)
        if len(alternatives) > 1:
            value = {"anyOf": alternatives}
        defs[f"step_{kind}"] = {
            "type": "object",
            "description": (cls.__doc__ or kind).strip().splitlines()[0],
            "properties": {kind: value},
            "required": [kind],
            "additionalProperties": False,
        }
        branches.append({"$ref": f"#/definitions/step_{kind}"})
    if bare:  # `- name` alone, for steps that need no argument
        branches.append({"enum": bare})
    return {"anyOf": branches}


def _validates(cls: type[BaseModel], data: Any) -> bool:
    try:
        cls.model_validate(data, strict=True)
    except ValueError:
        return False
    return True


def selectors_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    schema = _schema(SelectorFile, defs)
    return {"$schema": DRAFT, **schema, "title": "publish-runner selector file",
            "definitions": defs}


def playbook_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    defs["step"] = _steps(defs)
    steps = {"type": "array", "items": {"$ref": "#/definitions/step"}}
    # Steps of `publish` are never retried: no step there may give `retries` above 0.
    no_retries = {"not": {"type": "object", "required": ["retries"],
                          "properties": {"retries": {"minimum": 1}}}}
    irreversible = {"allOf": [steps, {"items": {"additionalProperties": no_retries}}]}
    header = _schema(PlaybookHeader, defs)
    header["properties"]["phases"] = {
        "type": "object",
        "description": "steps per phase; phases run in this order",
        "properties": {phase: irreversible if phase == IRREVERSIBLE_PHASE else steps
                       for phase in PHASES},
        "additionalProperties": False,
    }
    recent = header["properties"]["recent_posts"]
    header["properties"]["recent_posts"] = {
        "description": recent.get("description", ""), "anyOf": [steps, {"type": "null"}]}
    discard = header["properties"]["discard"]
    header["properties"]["discard"] = {
        "description": discard.get("description", ""), "anyOf": [steps, {"type": "null"}]}
    return {"$schema": DRAFT, **header, "title": "publish-runner playbook", "definitions": defs}


def scenarios_schema() -> dict[str, Any]:
    from runner.replay.scenarios import ScenarioFile

    defs: dict[str, Any] = {}
    schema = _schema(ScenarioFile, defs)
    return {"$schema": DRAFT, **schema, "title": "publish-runner replay scenarios",
            "definitions": defs}


def generate(kind: str) -> dict[str, Any]:
    makers = {"playbook": playbook_schema, "selectors": selectors_schema,
              "scenarios": scenarios_schema}
    return makers[kind]()


def render(kind: str) -> str:
    """The schema as shipped: stable key order, one trailing newline."""
    return json.dumps(generate(kind), indent=2, ensure_ascii=False) + "\n"


def file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = folder / file_name(kind)
        path.write_text(render(kind), encoding="utf-8")
        written.append(path)
    return written


def stale(folder: Path) -> list[str]:
    """The schema files in `folder` that differ from what the models generate."""
    out = []
    for kind in KINDS:
        path = folder / file_name(kind)
        if not path.is_file() or path.read_text(encoding="utf-8") != render(kind):
            out.append(str(path))
    return out

