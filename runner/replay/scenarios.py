"""The fixture format: `fixtures/<platform>/scenarios.yaml` beside saved HTML pages.

Other people write against this format, so it stays stable:

    platform: x
    scenarios:
      publish-text:
        post: {text: "Hello 👋 مرحبا", media: []}   # media paths relative to this file
        pages:                      # URL glob → what the browser gets there; first match wins
          "https://x.com/i/flow/login*": login.html
          "https://x.com/**": compose.html
        after:                      # phase → fixture that replaces the page once it ran
          publish: posted.html
        expect:
          status: SUCCEEDED         # SUCCEEDED | FAILED | NEEDS_LOGIN
          error: null               # substring of the error message, for FAILED
          proofs: [before_confirm, after_publish]
          fallbacks: []             # selectors expected to resolve only through a fallback
          proof_pages:              # proof → the page it is taken on, showing the post's text
            after_publish: "https://x.com/*/status/*"

A page entry may also be `{redirect: URL}` (a 302). `expect` keys that are absent are not
checked. Optional per scenario: `javascript: true`, `locale`, `account`, `base_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.errors import DefinitionError
from runner.engine.definitions import _validation_problems
from runner.engine.playbook import PHASES
from runner.engine.yamlsrc import PathKey, Source, load_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Redirect(_Strict):
    redirect: str


class ScenarioPost(_Strict):
    text: str
    media: list[str] = Field(default_factory=list)


class Expect(_Strict):
    status: Literal["SUCCEEDED", "FAILED", "NEEDS_LOGIN"] | None = None
    error: str | None = None
    proofs: list[str] | None = None
    fallbacks: list[str] | None = None
    post_url: str | None = None
    # proof kind → the URL (a glob) of the page it must be taken on; that page must also
    # show the post's text when the proof is taken (the after-publish proof on the post).
    proof_pages: dict[str, str] | None = None
    # Absent keys are not checked; `error: null` given explicitly means "no error".
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scenario(_Strict):
    post: ScenarioPost
    pages: dict[str, str | Redirect]
    after: dict[Literal[PHASES], str] = Field(default_factory=dict)  # type: ignore[valid-type]
    expect: Expect = Field(default_factory=Expect)
    javascript: bool = False
    locale: str = "auto"
    account: str = "main"
    base_url: str | None = None
    description: str | None = None


class ScenarioFile(_Strict):
    platform: str
    scenarios: dict[str, Scenario]


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario with where it came from, ready to replay."""

    platform: str
    name: str
    spec: Scenario
    folder: Path
    file: str
    line: int
    expect_set: frozenset[str]  # the expect keys the file actually gives

    @property
    def id(self) -> str:
        return f"{self.platform}/{self.name}"

    def media_paths(self) -> tuple[Path, ...]:
        return tuple((self.folder / m).resolve() for m in self.spec.post.media)


def display_path(path: Path) -> str:
    """How reports name a file: relative to the current folder (the repository in CI, so
    annotations and JUnit point at it), else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def scenarios_from(src: Source, folder: Path) -> list[LoadedScenario]:
    """The scenarios of a loaded scenarios file; DefinitionError names every problem."""
    try:
        model = ScenarioFile.model_validate(src.data, strict=True)
    except ValidationError as exc:
        raise DefinitionError(_validation_problems(src, (), exc, ScenarioFile)) from exc
    out = []
    for name, spec in model.scenarios.items():
        raw_expect = src.data["scenarios"][name].get("expect") or {}
        out.append(LoadedScenario(
            platform=model.platform, name=name, spec=spec, folder=folder,
            file=src.file, line=src.where(("scenarios", name), key=True)[0],
            expect_set=frozenset(raw_expect),
        ))
    return out


def load_scenarios(path: Path, display: str | None = None) -> list[LoadedScenario]:
    return scenarios_from(load_yaml(path, display or display_path(path)), path.parent)


def missing_files(sc: LoadedScenario) -> list[tuple[PathKey, str]]:
    """Fixture and media files the scenario names that do not exist, with where it names
    them (path in the scenarios file)."""
    base: PathKey = ("scenarios", sc.name)
    named: list[tuple[PathKey, str]] = [
        ((*base, "pages", glob), target) for glob, target in sc.spec.pages.items()
        if isinstance(target, str)
    ]
    named += [((*base, "after", phase), target) for phase, target in sc.spec.after.items()]
    named += [((*base, "post", "media", i), m) for i, m in enumerate(sc.spec.post.media)]
    return [(where, name) for where, name in named if not (sc.folder / name).is_file()]


def declared_platform(path: Path) -> str | None:
    """The `platform:` a scenarios file declares, read without checking the rest."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    value = data.get("platform") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def discover(root: Path, platforms: list[str] | None = None) -> list[Path]:
    """scenarios.yaml files under `root`: a platform's folder, or a folder of them. With
    `platforms`, those whose file declares one of them (the folder may have any name)."""
    if (root / "scenarios.yaml").is_file():
        found = [root / "scenarios.yaml"]
    else:
        found = sorted(root.glob("*/scenarios.yaml"))
    if platforms:
        wanted = set(platforms)
        found = [f for f in found if declared_platform(f) in wanted]
    return found
