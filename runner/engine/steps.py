"""The step vocabulary of playbooks.

A step is a one-key mapping: the key names the step, the value holds its arguments, e.g.
`- click: postButton` or `- type: {selector: composerTextarea, text: "{{ post.text }}"}`.
A scalar value fills the step's main argument. Options every step takes: `optional`,
`timeout`, `retries`, `when` (a template value that must be truthy) and `label`.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from runner.engine.selectorfile import Localised

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


def parse_duration(value: Any) -> float:
    """Seconds from `5`, `2.5`, `"500ms"`, `"5s"` or `"2m"`."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '500ms', '5s'")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        number, unit = float(m.group(1)), m.group(2) or "s"
        return number / 1000 if unit == "ms" else number * 60 if unit == "m" else number
    raise ValueError("a duration is a number of seconds or a string like '500ms', '5s'")


class Step(BaseModel):
    """Options shared by every step."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str] = ""
    shorthand: ClassVar[str | None] = None
    # Names of fields that refer to selectors, for lint and for the health report.
    selector_fields: ClassVar[tuple[str, ...]] = ("selector",)

    optional: bool = Field(default=False, description="a failure is logged and the run goes on")
    timeout: float | None = Field(default=None, description="seconds, or '500ms', '5s'")
    retries: int = Field(default=0, ge=0, le=10, description="extra attempts on failure")
    when: str | None = Field(default=None, description="run only if this template is truthy")
    label: str | None = None

    @field_validator("timeout", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    def selector_refs(self) -> list[str]:
        refs: list[str] = []
        for name in self.selector_fields:
            value = getattr(self, name, None)
            if isinstance(value, str):
                refs.append(value)
            elif isinstance(value, list):
                refs.extend(v for v in value if isinstance(v, str))
        return refs

    def title(self) -> str:
        if self.label:
            return self.label
        main = self.shorthand and getattr(self, self.shorthand, None)
        return f"{self.kind} {main}" if isinstance(main, str) else self.kind


class Goto(Step):
    """Open a URL (a template: `{{ base_url }}/compose`)."""

    kind = "goto"
    shorthand = "url"
    url: str
    wait_until: Literal["commit", "domcontentloaded", "load", "networkidle"] = "domcontentloaded"


State = Literal["visible", "hidden", "enabled", "disabled", "attached", "detached"]


# Names a step's `into:` cannot take: the run's own template values.
RESERVED_VALUES = ("post", "account", "base_url", "locale", "vars")


class WaitFor(Step):
    """Wait for a selector's state, for a URL, or for the first of several selectors.

    `any` with `into: NAME` records which one appeared: `NAME` becomes `{that_name: true}`,
    so later steps branch with `when: NAME.that_name`. `fail_on` ends the wait as soon as
    an error element shows, failing the run with `code` and the element's own text.
    `text` waits until the selector's element shows that text (the post on its own page
    before the after-publish proof); when it never does, the run fails with `code` and
    `message`.
    """

    kind = "wait_for"
    shorthand = "selector"
    selector_fields = ("selector", "any", "progress", "fail_on")
    selector: str | None = None
    state: State = "visible"
    url: str | None = Field(default=None, description="glob like '**/compose*'")
    any: list[str] | None = Field(default=None, description="first visible of these selectors")
    into: str | None = Field(
        default=None, pattern=r"^[A-Za-z_]\w*$",
        json_schema_extra={"not": {"enum": list(RESERVED_VALUES)}},
        description="with `any`: a value NAME = {the selector that appeared: true}, for "
        "`when: NAME.selector`",
    )
    progress: str | None = Field(
        default=None, description="a selector whose text or value is logged while waiting"
    )
    fail_on: str | None = Field(
        default=None, description="an error selector: when it shows, the run fails at once "
        "with its text"
    )
    code: str | None = Field(
        default=None, max_length=100,
        description="the error code when `fail_on` shows (default PLATFORM_REJECTED) or, "
        "with `text`, when the text never shows (default: the wait's own, TIMEOUT or "
        "SELECTOR_NOT_FOUND)",
    )
    text: str | None = Field(
        default=None, description="with `selector`: wait until one of its elements also "
        "contains this text (a template: '{{ post.text }}'), compared without bidi marks "
        "or extra spaces; e.g. the post's own page showing the post",
    )
    message: str | None = Field(
        default=None, description="with `text`: the error message when the text never "
        "shows (a template); what the element read is added to it",
    )

    @field_validator("into")
    @classmethod
    def _not_reserved(cls, value: str | None) -> str | None:
        if value in RESERVED_VALUES:
            raise ValueError(f"into: '{value}' is a value every run has; pick another name")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> WaitFor:
        if sum(x is not None for x in (self.selector, self.url, self.any)) != 1:
            raise ValueError("wait_for takes exactly one of selector, url, any")
        if self.into is not None and self.any is None:
            raise ValueError("`into` goes with `any` (it records which selector appeared)")
        if self.text is not None and (self.selector is None or self.state != "visible"):
            raise ValueError("`text` goes with `selector` and state visible (it waits for "
                             "that element to show the text)")
        if self.message is not None and self.text is None:
            raise ValueError("`message` goes with `text` (it is said when the text never "
                             "shows)")
        return self


class Click(Step):
    kind = "click"
    shorthand = "selector"
    selector: str
    force: bool = Field(default=False, description="skip actionability checks (rarely right)")


class Type(Step):
    """Enter text. `insert_text` (default) fires the input events rich editors listen to.

    The method named is the method used; human pacing only adds a per-key rhythm to
    `keyboard` (and pauses before steps), it never switches methods.
    """

    kind = "type"
    selector: str
    text: str
    method: Literal["insert_text", "keyboard", "fill", "paste"] = "insert_text"
    clear: bool = Field(default=True, description="empty the field first")
    read_back: bool = Field(default=True, description="check the field holds the text after")
    delay_ms: int | None = Field(
        default=None, ge=0,
        description="per key, for `keyboard` (default: a human rhythm with human pacing, "
        "none without)",
    )


class Upload(Step):
    """Set files on a file input (it may be hidden: give its selector `visible: false`)."""

    kind = "upload"
    selector: str
    files: str | list[str]


class Press(Step):
    kind = "press"
    shorthand = "key"
    key: str
    selector: str | None = None


class Assert(Step):
    """Check a selector's state or text, or the URL; fails the run when it does not hold."""

    kind = "assert"
    shorthand = "selector"
    selector: str | None = None
    state: State | None = None
    text: Localised | None = Field(default=None, description="the element contains this text")
    count: int | None = Field(default=None, ge=0)
    url: str | None = None
    message: str | None = None

    @model_validator(mode="after")
    def _target(self) -> Assert:
        if (self.selector is None) == (self.url is None):
            raise ValueError("assert takes exactly one of selector, url")
        return self


class Extract(Step):
    """Read text, an attribute or the URL into a variable (`vars.NAME` in templates)."""

    kind = "extract"
    selector: str | None = None
    attribute: str | None = Field(default=None, description="read this attribute, not text")
    url: bool = Field(default=False, description="read the page URL")
    into: str
    pattern: str | None = Field(default=None, description="keep the first regex group")

    @model_validator(mode="after")
    def _source(self) -> Extract:
        if self.url == (self.selector is not None):
            raise ValueError("extract reads either a selector (text or attribute) or the url")
        return self


class Screenshot(Step):
    """A proof: `before_confirm`, `after_publish`, `on_failure`, or any other name."""

    kind = "screenshot"
    shorthand = "name"
    selector_fields = ()
    name: str


class Dismiss(Step):
    """Close a dialog that may or may not show (cookie banner, "post now?" prompt): look for
    it up to `within`, click `button` if it showed; its absence is never an error."""

    kind = "dismiss"
    shorthand = "selector"
    selector_fields = ("selector", "button")
    selector: str
    button: str | None = Field(default=None, description="what to click; default: the overlay")
    within: float = Field(default=1.0, gt=0, description="how long to look for it: seconds, "
                          "or '500ms', '3s'; with `optional`, the whole step's bound")

    @field_validator("within", mode="before")
    @classmethod
    def _within(cls, value: Any) -> Any:
        return parse_duration(value)


class LoginWall(Step):
    """The run ends NEEDS_LOGIN when the URL or a selector shows a login wall."""

    kind = "login_wall"
    url: str | None = None
    selector: str | None = None

    @model_validator(mode="after")
    def _target(self) -> LoginWall:
        if self.url is None and self.selector is None:
            raise ValueError("login_wall needs url, selector or both")
        return self


class Challenge(Step):
    """The run fails with CHALLENGE (checkpoint, locked account): not a login problem."""

    kind = "challenge"
    url: str | None = None
    selector: str | None = None
    message: str = "The platform asks to confirm the account (challenge or checkpoint)"

    @model_validator(mode="after")
    def _target(self) -> Challenge:
        if self.url is None and self.selector is None:
            raise ValueError("challenge needs url, selector or both")
        return self


class FailIf(Step):
    """Fail the run with the element's own text when it is visible (e.g. an error toast)."""

    kind = "fail_if"
    shorthand = "selector"
    selector: str
    code: str = "PLATFORM_REJECTED"


class Fail(Step):
    """End the run FAILED with this message (with `when:`: a post the platform cannot take)."""

    kind = "fail"
    shorthand = "message"
    selector_fields = ()
    message: str
    code: str = "UNSUPPORTED_POST"


class AwaitResult(Step):
    """Wait for the platform's answer: the success signal, or its error (then fail with it)."""

    kind = "await_result"
    selector_fields = ("success", "error")
    success: str
    error: str | None = None


class Pause(Step):
    kind = "pause"
    shorthand = "ms"
    selector_fields = ()
    ms: int = Field(ge=0)


class FindPost(Step):
    """Recent-posts check: find an item whose text equals the post's, and its link."""

    kind = "find_post"
    selector_fields = ("items", "text_in", "link_in")
    items: str
    text_in: str | None = None
    link_in: str | None = None
    text: str = "{{ post.text }}"


STEP_TYPES: dict[str, type[Step]] = {
    cls.kind: cls
    for cls in (Goto, WaitFor, Click, Type, Upload, Press, Assert, Extract, Screenshot,
                Dismiss, LoginWall, Challenge, Fail, FailIf, AwaitResult, Pause, FindPost)
}
