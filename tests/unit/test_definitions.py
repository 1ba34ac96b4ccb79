"""Playbook and selector files: loading, validation errors located to file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from common.errors import ConfigError, DefinitionError
from runner.cli import main
from runner.engine.definitions import load_files, load_platform
from runner.engine.lint import lint_paths

SELECTORS = """\
platform: demo
version: 1
selectors:
  composerTextarea:
    description: Composer textarea
    candidates:
      - testid: composer-text
      - role: textbox
        name: {en: Post text, ar: نص المنشور}
  postButton:
    candidates:
      - testid: post-button
"""

PLAYBOOK = """\
platform: demo
version: 1
base_url: https://demo.example
phases:
  open:
    - goto: "{{ base_url }}/compose"
  compose:
    - type: {selector: composerTextarea, text: "{{ post.text }}"}
  publish:
    - click: postButton
"""


@pytest.fixture
def project(tmp_path: Path):
    """A factory writing a playbook and selector file pair into a throwaway project."""

    def make(playbook: str = PLAYBOOK, selectors: str = SELECTORS) -> Path:
        (tmp_path / "playbooks").mkdir(exist_ok=True)
        (tmp_path / "selectors").mkdir(exist_ok=True)
        (tmp_path / "playbooks" / "demo.yaml").write_text(textwrap.dedent(playbook), "utf-8")
        (tmp_path / "selectors" / "demo.yaml").write_text(textwrap.dedent(selectors), "utf-8")
        return tmp_path

    return make


def problems_of(root: Path) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_files(root / "playbooks" / "demo.yaml", root=root)
    return [str(p) for p in info.value.problems]


def test_a_good_pair_loads(project) -> None:
    platform = load_files(project() / "playbooks" / "demo.yaml", root=project())
    assert platform.name == "demo"
    assert platform.selector_file == "selectors/demo.yaml"
    assert platform.selector_line("postButton") == 10
    assert [s.kind for s in platform.playbook.phases["compose"]] == ["type"]
    assert platform.playbook.phases["attach"] == []


def test_repository_platforms_load() -> None:
    assert load_platform("sandbox").name == "sandbox"


def test_yaml_syntax_error_names_file_and_line(project) -> None:
    broken = PLAYBOOK.replace('- click: postButton', '- click: [postButton')
    (msg,) = problems_of(project(playbook=broken))
    assert msg.startswith("playbooks/demo.yaml:")
    assert "YAML syntax" in msg


def test_tab_indentation_is_named(project) -> None:
    broken = PLAYBOOK.replace("    - click: postButton", "\t- click: postButton")
    (msg,) = problems_of(project(playbook=broken))
    assert msg.startswith("playbooks/demo.yaml:10:")
    assert "tab" in msg


def test_list_where_a_mapping_belongs(project) -> None:
    broken = SELECTORS.replace(
        "  postButton:\n    candidates:\n      - testid: post-button\n",
        "  postButton:\n    - testid: post-button\n",
    )
    msgs = problems_of(project(selectors=broken))
    assert any(m.startswith("selectors/demo.yaml:11:") and "dictionary" in m for m in msgs), msgs


def test_unknown_step_is_located(project) -> None:
    broken = PLAYBOOK.replace("- click: postButton", "- tap: postButton")
    (msg,) = problems_of(project(playbook=broken))
    assert msg.startswith("playbooks/demo.yaml:10:")
    assert "unknown step 'tap'" in msg and "click" in msg


def test_wrong_type_names_the_field(project) -> None:
    broken = PLAYBOOK.replace("- click: postButton",
                              "- click: {selector: postButton, retries: lots}")
    msgs = problems_of(project(playbook=broken))
    assert any(":10:" in m and "retries" in m for m in msgs), msgs


def test_unknown_field_is_refused(project) -> None:
    broken = PLAYBOOK.replace("- click: postButton", "- click: {selector: postButton, slow: 1}")
    (msg,) = problems_of(project(playbook=broken))
    assert "unknown field 'slow'" in msg and ":10:" in msg


def test_missing_selector_is_an_error_at_the_step(project) -> None:
    broken = PLAYBOOK.replace("- click: postButton", "- click: sendButton")
    (msg,) = problems_of(project(playbook=broken))
    assert msg == (
        "playbooks/demo.yaml:10:7: error: selector 'sendButton' is not defined in "
        "selectors/demo.yaml (did you mean 'postButton'?)"
    )


def test_publish_steps_cannot_retry(project) -> None:
    broken = PLAYBOOK.replace("- click: postButton", "- click: {selector: postButton, retries: 2}")
    (msg,) = problems_of(project(playbook=broken))
    assert "never retried" in msg


def test_duplicate_keys_are_errors(project) -> None:
    broken = SELECTORS + "  postButton:\n    candidates: [{testid: x}]\n"
    msgs = problems_of(project(selectors=broken))
    assert any("duplicate key 'postButton'" in m for m in msgs)


def test_candidate_needs_exactly_one_strategy(project) -> None:
    broken = SELECTORS.replace("      - testid: post-button",
                               "      - testid: post-button\n        css: button")
    msgs = problems_of(project(selectors=broken))
    assert any("exactly one of" in m and ":12:" in m for m in msgs), msgs


def test_unknown_scope(project) -> None:
    broken = SELECTORS.replace("  postButton:\n", "  postButton:\n    scope: dialog\n")
    msgs = problems_of(project(selectors=broken))
    assert any("scope 'dialog'" in m for m in msgs)


def test_lint_warns_about_fragile_selectors(project) -> None:
    fragile = SELECTORS + "  " + textwrap.dedent("""\
      unused:
        candidates:
          - css: 'div.css-1dbjc4n > span:nth-child(2)'
          - xpath: '/html/body/div'
          - role: button
            name: Post
    """).replace("\n", "\n  ").rstrip() + "\n"
    root = project(selectors=fragile)
    report = lint_paths(root=root)
    text = "\n".join(str(p) for p in report.problems)
    assert not report.errors, text
    assert "generated class name" in text
    assert "depends on position" in text
    assert "absolute XPath" in text
    assert "not keyed by locale" in text
    assert "selector 'unused' is defined but never used" in text


def test_lint_cli_exit_status(project) -> None:
    root = project(playbook=PLAYBOOK.replace("- click: postButton", "- tap: postButton"))
    runner = CliRunner()
    bad = runner.invoke(main, ["lint", str(root / "playbooks" / "demo.yaml")])
    assert bad.exit_code == 1
    assert "unknown step 'tap'" in bad.output
    good = runner.invoke(main, ["lint", "--strict"])
    assert good.exit_code == 0, good.output


def test_schema_lists_every_step() -> None:
    import json

    result = CliRunner().invoke(main, ["schema", "playbook"])
    schema = json.loads(result.output)
    assert {"step_click", "step_type", "step_login_wall"} <= set(schema["definitions"])
    assert schema["$schema"].startswith("http://json-schema.org/draft-07")


# The broken files above, and a few more, as one table shared by two checks: the tool refuses
# each, and so does the shipped JSON Schema unless a schema cannot see the mistake (then the
# reason is given, and `lint` is what catches it). (file, old, new, why a schema cannot tell)
BROKEN: dict[str, tuple[str, str, str, str | None]] = {
    "yaml-syntax": ("playbook", "- click: postButton", "- click: [postButton", "not YAML"),
    "tab-indent": ("playbook", "    - click: postButton", "\t- click: postButton", "not YAML"),
    "list-for-mapping": ("selectors",
                         "  postButton:\n    candidates:\n      - testid: post-button\n",
                         "  postButton:\n    - testid: post-button\n", None),
    "unknown-step": ("playbook", "- click: postButton", "- tap: postButton", None),
    "wrong-type": ("playbook", "- click: postButton",
                   "- click: {selector: postButton, retries: lots}", None),
    "unknown-field": ("playbook", "- click: postButton",
                      "- click: {selector: postButton, slow: 1}", None),
    "undefined-selector": ("playbook", "- click: postButton", "- click: sendButton",
                           "names a selector of the other file"),
    "publish-retries": ("playbook", "- click: postButton",
                        "- click: {selector: postButton, retries: 2}", None),
    "duplicate-key": ("selectors", "  postButton:\n",
                      "  postButton:\n    candidates: [{testid: x}]\n  postButton:\n",
                      "a YAML parser keeps the last of duplicate keys"),
    "two-strategies": ("selectors", "      - testid: post-button",
                       "      - testid: post-button\n        css: button", None),
    "no-strategy": ("selectors", "      - testid: post-button", "      - exact: true", None),
    "name-without-role": ("selectors", "      - testid: post-button",
                          "      - text: Post\n        name: Post", None),
    "unknown-scope": ("selectors", "  postButton:\n", "  postButton:\n    scope: dialog\n",
                      "names another selector of the same file"),
    "zero-count": ("selectors", "  postButton:\n", "  postButton:\n    count: 0\n", None),
    "string-for-boolean": ("playbook", "- click: postButton",
                           "- click: {selector: postButton, optional: 'yes'}", None),
    "bad-duration": ("playbook", "- click: postButton",
                     "- click: {selector: postButton, timeout: soon}", None),
    "bad-header-duration": ("playbook", "version: 1\n", "version: 1\ndefault_timeout: 10 sec\n",
                            None),
    "null-step": ("playbook", "- click: postButton", "- click:", None),
    "wait-two-targets": ("playbook", "- click: postButton",
                         "- wait_for: {selector: postButton, url: '**/x'}", None),
    "extract-both": ("playbook", "- click: postButton",
                     "- extract: {selector: postButton, url: true, into: x}", None),
    "login-wall-empty": ("playbook", "- click: postButton", "- login_wall: {}", None),
    "unknown-phase": ("playbook", "  publish:\n", "  posting:\n", None),
    "wrong-version": ("playbook", "version: 1\n", "version: 2\n", None),
}

# And files the tool accepts that a naive schema would refuse.
ACCEPTED: dict[str, tuple[str, str, str]] = {
    "duration-string": ("playbook", "version: 1\n", "version: 1\ndefault_timeout: '15s'\n"),
    "duration-number": ("playbook", "version: 1\n", "version: 1\npublish_timeout: 45\n"),
    "step-duration-ms": ("playbook", "- click: postButton",
                         "- click: {selector: postButton, timeout: 500ms}"),
    "shorthand-int": ("playbook", "- click: postButton", "- click: postButton\n    - pause: 300"),
    "null-option": ("selectors", "      - testid: post-button",
                    "      - testid: post-button\n        css: null"),
    "localised-name": ("selectors", "      - testid: post-button",
                       "      - role: button\n        name: {en: Post, ar: نشر}"),
    "extract-url": ("playbook", "- click: postButton",
                    "- click: postButton\n    - extract: {url: true, into: post_url}"),
}


def _variant(file: str, old: str, new: str) -> tuple[str, str]:
    source = PLAYBOOK if file == "playbook" else SELECTORS
    assert source.count(old) == 1, old
    changed = source.replace(old, new)
    return (changed, SELECTORS) if file == "playbook" else (PLAYBOOK, changed)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_are_refused(project, case: str) -> None:
    file, old, new, _ = BROKEN[case]
    playbook, selectors = _variant(file, old, new)
    assert problems_of(project(playbook=playbook, selectors=selectors))


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted_variants_load(project, case: str) -> None:
    playbook, selectors = _variant(*ACCEPTED[case])
    root = project(playbook=playbook, selectors=selectors)
    load_files(root / "playbooks" / "demo.yaml", root=root)


def _schema_errors(file: str, text: str) -> list[str]:
    import json

    import jsonschema
    import yaml

    kind = "playbook" if file == "playbook" else "selectors"
    path = Path(__file__).resolve().parents[2] / "docs" / "schema" / f"{kind}.schema.json"
    validator = jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


@pytest.mark.parametrize("case", sorted(c for c, v in BROKEN.items() if v[3] is None))
def test_the_shipped_schema_refuses_what_the_tool_refuses(case: str) -> None:
    file, old, new, _ = BROKEN[case]
    playbook, selectors = _variant(file, old, new)
    assert _schema_errors(file, playbook if file == "playbook" else selectors), case


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_the_shipped_schema_accepts_what_the_tool_accepts(case: str) -> None:
    file, old, new = ACCEPTED[case]
    playbook, selectors = _variant(file, old, new)
    assert _schema_errors(file, playbook if file == "playbook" else selectors) == []


@pytest.mark.parametrize(("old", "new", "hint"), [
    ("- click: postButton", "- clik: postButton", "unknown step 'clik' (did you mean 'click'?)"),
    ("- click: postButton", "- click: {selector: postButton, optinal: true}",
     "unknown field 'optinal' (did you mean 'optional'?)"),
    ("- click: postButton", "- click: postbutton",
     "selector 'postbutton' is not defined in selectors/demo.yaml (did you mean 'postButton'?)"),
])
def test_unknown_names_suggest_the_closest(project, old: str, new: str, hint: str) -> None:
    (msg,) = problems_of(project(playbook=PLAYBOOK.replace(old, new)))
    assert hint in msg, msg


def test_unknown_field_in_a_selector_suggests(project) -> None:
    msgs = problems_of(project(selectors=SELECTORS.replace("    description:", "    descripton:")))
    assert any("unknown field 'descripton' (did you mean 'description'?)" in m for m in msgs)


def test_no_suggestion_when_nothing_is_close(project) -> None:
    (msg,) = problems_of(project(playbook=PLAYBOOK.replace("- click: postButton",
                                                           "- click: zzz")))
    assert "did you mean" not in msg


SCENARIOS = """\
platform: demo
scenarios:
  publish:
    post: {text: hi, media: [photo.png]}
    pages: {"https://demo.example/**": compose.html}
    after: {publish: posted.html}
    expect: {status: SUCCEEDED, fallbacks: [postButon]}
"""


def test_lint_reads_a_scenarios_file_by_content_whatever_its_name(project) -> None:
    root = project()
    folder = root / "cases" / "anything"
    folder.mkdir(parents=True)
    (folder / "compose.html").write_text("<p>", encoding="utf-8")
    path = folder / "my-cases.yaml"
    path.write_text(SCENARIOS, encoding="utf-8")
    report = lint_paths([path], root=root)
    text = [p.message for p in report.errors]
    assert not any("missing field" in m for m in text), text
    assert "publish: file posted.html not found in cases/anything" in text
    assert "publish: file photo.png not found in cases/anything" in text
    assert ("publish: selector 'postButon' is not defined in selectors/demo.yaml "
            "(did you mean 'postButton'?)") in text
    assert len(text) == 3, text


def test_lint_scenarios_need_a_known_platform(project) -> None:
    root = project()
    path = root / "scenarios.yaml"
    path.write_text(SCENARIOS.replace("platform: demo", "platform: dmo"), encoding="utf-8")
    msgs = [str(p) for p in lint_paths([path], root=root).errors]
    assert any("scenarios.yaml:1:11" in m and "no playbook for platform 'dmo'" in m
               and "(did you mean 'demo'?)" in m for m in msgs), msgs


def test_lint_scenario_format_errors_are_located(project) -> None:
    root = project()
    path = root / "scenarios.yaml"
    path.write_text(SCENARIOS.replace("status: SUCCEEDED", "statu: SUCCEEDED"), encoding="utf-8")
    (msg,) = [str(p) for p in lint_paths([path], root=root).errors]
    assert ":7:14:" in msg and "unknown field 'statu' (did you mean 'status'?)" in msg


def test_lint_refuses_a_file_of_unknown_kind(project) -> None:
    root = project()
    path = root / "playbooks" / "notes.yaml"  # in playbooks/, yet not a playbook
    path.write_text("title: hello\n", encoding="utf-8")
    (problem,) = lint_paths([path], root=root).errors
    assert "cannot tell what this file is" in problem.message


def test_default_lint_covers_scenario_files() -> None:
    from runner.engine.definitions import project_root
    from runner.engine.lint import default_paths

    paths = default_paths(project_root())
    assert any(p.name == "scenarios.yaml" for p in paths)


# --- the definitions root: flag > env > config > current folder > packaged copy -------------

def _defs(folder: Path) -> Path:
    (folder / "playbooks").mkdir(parents=True)
    (folder / "selectors").mkdir()
    return folder


def test_the_definitions_root_rule(tmp_path: Path) -> None:
    from runner.definitions_root import ENV, resolve

    flag, env, conf, here = (_defs(tmp_path / n) for n in ("flag", "env", "conf", "here"))
    config = tmp_path / "config.yaml"
    config.write_text("definitions: conf\n", encoding="utf-8")
    environ = {ENV: str(env)}
    assert resolve(flag=flag, environ=environ, config_file=config, cwd=here).source == "flag"
    got = resolve(environ=environ, config_file=config, cwd=here)
    assert (got.path, got.source) == (env.resolve(), "env")
    got = resolve(environ={}, config_file=config, cwd=here)
    assert (got.path, got.source) == (conf.resolve(), "config")  # relative to the file
    got = resolve(environ={}, config_file=None, cwd=here)
    assert (got.path, got.source) == (here.resolve(), "cwd")
    got = resolve(environ={}, config_file=None, cwd=tmp_path)  # no definitions here
    assert got.source == "package" and (got.path / "playbooks" / "sandbox.yaml").is_file()
    assert got.describe() == f"definitions: {got.path} (package)"


def test_only_the_wheels_copy_is_read_only(tmp_path: Path) -> None:
    from runner.definitions_root import DefinitionsRoot

    assert DefinitionsRoot(tmp_path / "runner" / "_definitions", "package").installed_copy
    assert not DefinitionsRoot(tmp_path, "package").installed_copy  # a checkout
    assert not DefinitionsRoot(tmp_path / "_definitions", "flag").installed_copy


def test_an_explicit_root_must_hold_playbooks(tmp_path: Path) -> None:
    from runner.definitions_root import ENV, resolve

    with pytest.raises(ConfigError, match=r"is not a folder"):
        resolve(flag=tmp_path / "missing", environ={})
    with pytest.raises(ConfigError, match=r"\(env\) has no playbooks/ folder"):
        resolve(environ={ENV: str(tmp_path)})


def test_lint_says_its_root_and_fails_on_nothing_to_lint(tmp_path: Path) -> None:
    empty = _defs(tmp_path / "empty")
    result = CliRunner().invoke(main, ["lint", "--definitions", str(empty)])
    assert result.exit_code == 2
    assert f"definitions: {empty.resolve()} (flag)" in result.stderr
    assert "nothing to lint" in result.stderr


def test_replay_with_no_scenarios_fails(tmp_path: Path) -> None:
    empty = _defs(tmp_path / "empty")
    result = CliRunner().invoke(main, ["replay", "--definitions", str(empty)])
    assert result.exit_code == 2
    assert f"definitions: {empty.resolve()} (flag)" in result.stderr
    assert "no scenarios" in result.stderr


def test_a_commands_config_file_names_the_root_unless_a_flag_did(tmp_path: Path) -> None:
    from runner import definitions_root as roots

    team = _defs(tmp_path / "team")
    config = tmp_path / "run.yaml"
    config.write_text(f"definitions: {team}\n", encoding="utf-8")
    try:
        roots.reset()
        roots.use_config_file(config)
        assert (roots.current().path, roots.current().source) == (team.resolve(), "config")
        roots.reset()
        roots.choose(flag=_defs(tmp_path / "flagged"))
        roots.use_config_file(config)
        assert roots.current().source == "flag"
    finally:
        roots.reset()


LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))


@pytest.mark.parametrize(("text", "line", "says"), [
    ("platform: demo\nloop: &a [1, *a]\n", 2, "recursive alias"),
    ("l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + LAUGHS, 6, "expand to more than 200000"),
    ("platform: demo\ndeep: " + "[" * 70 + "]" * 70 + "\n", 2, "nested deeper than 64"),
    ("deep: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nested deeper than 64"),
])
def test_hostile_yaml_is_refused_quickly_with_its_line(tmp_path: Path, text: str, line: int,
                                                       says: str) -> None:
    import time

    from runner.engine.yamlsrc import load_yaml

    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(DefinitionError) as info:
        load_yaml(path, "hostile.yaml")
    assert time.perf_counter() - started < 5
    (problem,) = info.value.problems
    assert problem.file == "hostile.yaml" and problem.line == line and says in problem.message


def test_oversized_yaml_is_refused(tmp_path: Path) -> None:
    from runner.engine.yamlsrc import MAX_BYTES, load_yaml

    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_yaml(path, "big.yaml")
    assert "larger than" in str(info.value)


def test_lint_reports_a_recursive_alias_without_a_traceback(project) -> None:
    root = project(selectors=SELECTORS + "loop: &a [*a]\n")
    runner = CliRunner()
    result = runner.invoke(main, ["lint", str(root / "selectors" / "demo.yaml")])
    assert result.exit_code == 1
    assert "selectors/demo.yaml:13:7: error: a recursive alias" in result.output
