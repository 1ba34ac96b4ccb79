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
from runner.engine.yamlsrc import load_yaml


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


def load_scenarios(path: Path, display: str | None = None) -> list[LoadedScenario]:
    src = load_yaml(path, display)
    try:
        model = ScenarioFile.model_validate(src.data, strict=True)
    except ValidationError as exc:
        raise DefinitionError(_validation_problems(src, (), exc)) from exc
    out = []
    for name, spec in model.scenarios.items():
        raw_expect = src.data["scenarios"][name].get("expect") or {}
        out.append(LoadedScenario(
            platform=model.platform, name=name, spec=spec, folder=path.parent,
            file=src.file, line=src.where(("scenarios", name), key=True)[0],
            expect_set=frozenset(raw_expect),
        ))
    return out


def discover(root: Path, platforms: list[str] | None = None) -> list[Path]:
    """scenarios.yaml files under `root`: a platform's folder, or a folder of them."""
    if (root / "scenarios.yaml").is_file():
        found = [root / "scenarios.yaml"]
    else:
        found = sorted(root.glob("*/scenarios.yaml"))
    if platforms:
        wanted = set(platforms)
        found = [f for f in found if f.parent.name in wanted]
    return found
