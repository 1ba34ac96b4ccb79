"""The shipped JSON Schemas (docs/schema/): current, and true to every shipped file.

A real validator (`jsonschema`) reads them as an editor or check-jsonschema would; the
broken-file parity with the tool is in test_definitions.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from runner.cli import main
from runner.engine import schema
from runner.engine.definitions import project_root
from runner.engine.steps import _DURATION

ROOT = project_root()
SCHEMAS = ROOT / "docs" / "schema"
SHIPPED = {
    "playbook": sorted((ROOT / "playbooks").glob("*.yaml")),
    "selectors": sorted((ROOT / "selectors").glob("*.yaml")),
    "scenarios": sorted((ROOT / "fixtures").glob("*/scenarios.yaml")),
}
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        json.loads((SCHEMAS / schema.file_name(kind)).read_text(encoding="utf-8")))


def test_shipped_schemas_are_current() -> None:
    assert schema.stale(SCHEMAS) == [], (
        "regenerate with: publish-runner schema --write docs/schema")


@pytest.mark.parametrize("kind", schema.KINDS)
def test_shipped_schemas_are_valid_draft_7(kind: str) -> None:
    doc = json.loads((SCHEMAS / schema.file_name(kind)).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(doc)
    assert doc["$schema"] == schema.DRAFT


@pytest.mark.parametrize(("kind", "path"), [(k, p) for k, ps in SHIPPED.items() for p in ps],
                         ids=lambda v: v if isinstance(v, str) else f"{v.parent.name}/{v.name}")
def test_every_shipped_file_validates(kind: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator(kind).iter_errors(yaml.safe_load(text))]
    assert errors == [], errors
    # and names the shipped schema of its kind, by a path that exists from the file
    (ref,) = MODELINE.findall(text)
    assert (path.parent / ref).resolve() == (SCHEMAS / schema.file_name(kind)).resolve()


def test_every_kind_has_shipped_files() -> None:
    assert all(SHIPPED.values())


def test_duration_pattern_is_the_parsers() -> None:
    assert _DURATION.pattern == schema.DURATION_PATTERN


def test_every_model_validator_has_a_schema_rule() -> None:
    """A new cross-field rule in a model must be written into the schema too."""
    from runner.engine.playbook import PlaybookHeader
    from runner.engine.selectorfile import SelectorFile
    from runner.engine.steps import STEP_TYPES
    from runner.replay.scenarios import ScenarioFile

    models: dict[str, Any] = {}
    for root in (PlaybookHeader, SelectorFile, ScenarioFile, *STEP_TYPES.values()):
        models.update(schema._models(root))
    with_rules = {n for n, m in models.items() if m.__pydantic_decorators__.model_validators}
    assert with_rules == {m.__name__ for m in schema._RULES}


SCENARIOS = """\
platform: demo
scenarios:
  publish:
    post: {text: hi}
    pages: {"https://demo.example/**": compose.html}
    after: {publish: posted.html}
    expect: {status: SUCCEEDED, fallbacks: []}
"""


@pytest.mark.parametrize(("old", "new"), [
    ("status: SUCCEEDED", "status: DONE"),
    ("fallbacks: []", "fallback: []"),
    ("after: {publish: posted.html}", "after: {posting: posted.html}"),
    ("post: {text: hi}", "post: {media: []}"),
    ("pages: {", "pages: {x: {redirect: 1}, "),
])
def test_scenarios_schema_refuses_what_the_tool_refuses(tmp_path: Path, old: str,
                                                        new: str) -> None:
    from common.errors import DefinitionError
    from runner.replay import load_scenarios

    text = SCENARIOS.replace(old, new)
    (tmp_path / "scenarios.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError):
        load_scenarios(tmp_path / "scenarios.yaml")
    assert list(validator("scenarios").iter_errors(yaml.safe_load(text)))


def test_scenarios_schema_accepts_a_redirect_and_javascript() -> None:
    text = SCENARIOS.replace("pages: {", "javascript: true\n    pages: {x: {redirect: /y}, ")
    assert list(validator("scenarios").iter_errors(yaml.safe_load(text))) == []


def test_schema_command_prints_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    printed = runner.invoke(main, ["schema", "scenarios"])
    assert printed.exit_code == 0 and json.loads(printed.output)["title"].endswith("scenarios")
    assert runner.invoke(main, ["schema", "--check", str(tmp_path)]).exit_code == 1
    assert runner.invoke(main, ["schema", "--write", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["schema", "--check", str(tmp_path)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        schema.file_name(k) for k in schema.KINDS)
