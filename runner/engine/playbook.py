"""The playbook format: `playbooks/<platform>.yaml`.

Steps are grouped into phases whose names and order are fixed, because logs, fixtures,
metrics and the server key on them. `publish` holds the one irreversible action.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from runner.engine.steps import Step, parse_duration

PHASES = ("open", "login_check", "compose", "attach", "confirm", "publish", "verify")
Phase = Literal["open", "login_check", "compose", "attach", "confirm", "publish", "verify"]
IRREVERSIBLE_PHASE = "publish"


class Overlay(BaseModel):
    """An overlay dismissed automatically whenever it appears before an action."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    selector: str
    dismiss: str | None = Field(default=None, description="what to click; default the overlay")


class PlaybookHeader(BaseModel):
    """Everything in a playbook except its steps (those are parsed one by one, see loader)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    platform: str
    version: Literal[1] = 1
    selectors: str | None = Field(default=None, description="selector file; default: platform")
    base_url: str = Field(description="where the platform lives; a setting may override it")
    login_url: str | None = Field(default=None, description="for `publish-runner login`")
    human: bool = Field(default=True, description="human-like typing and pauses by default")
    default_timeout: float = Field(default=10.0, description="seconds per step")
    publish_timeout: float = Field(default=30.0, description="seconds for verify's waits")
    overlays: list[Overlay] = Field(default_factory=list)
    phases: dict[Phase, list[Any]] = Field(default_factory=dict)
    recent_posts: list[Any] | None = Field(
        default=None, description="steps that find the post among the account's recent posts"
    )
    discard: list[Any] | None = Field(
        default=None,
        description="steps that leave the composer without publishing (close the dialog, "
        "answer 'Discard'): what a canary runs after `confirm`",
    )
    recent_posts_conclusive: bool = Field(
        default=True,
        description="false when the check can miss a live post (e.g. no captions shown): "
        "then 'not found' is treated as 'cannot tell' and nothing is published again",
    )
    recent_posts_order: Literal["dated", "newest_first"] = Field(
        default="dated",
        description="how a retry tells this job's post from an older one with its text: "
        "'dated' by the <time datetime> the platform shows on it; 'newest_first' where the "
        "list shows no dates but lists newest first: only a post above the list's head as "
        "recorded before the publish click can match (runner.engine.recent_order)",
    )

    @field_validator("default_timeout", "publish_timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value)


class Playbook(BaseModel):
    """A checked playbook: its header and its parsed steps per phase."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    header: PlaybookHeader
    file: str
    phases: dict[str, list[Step]]
    recent_posts: list[Step] | None
    discard: list[Step] | None
    # (phase, "recent_posts" or "discard", index) → line in the file, for messages and reports.
    lines: dict[tuple[str, int], int]

    @property
    def platform(self) -> str:
        return self.header.platform
