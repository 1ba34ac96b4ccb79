"""The selector file format: `selectors/<platform>.yaml`.

A selector is a named, ordered list of candidate strategies. Playbooks refer to selectors by
name only, so when a platform changes its DOM a developer edits one file, in one place.

    platform: x
    version: 1
    test_id_attribute: data-testid
    selectors:
      composerTextarea:
        description: Composer textarea
        scope: composerDialog          # searched inside another selector
        candidates:
          - testid: tweetTextarea_0
          - role: textbox
            name: {en: Post text, ar: نص المنشور}
          - css: textarea
            frame: 'iframe[title="Composer"]'   # this candidate lives in an iframe

A candidate's `frame` overrides the selector's `frame` for that candidate alone;
`frame: top` means no iframe (the top page, or the scope itself).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Strategies a candidate may use, most stable first: the order lint recommends.
STRATEGIES = ("testid", "css", "role", "label", "placeholder", "text", "xpath")
# Strategies whose value is what a person reads on screen, and so depends on the UI locale.
LOCALISED = ("role", "label", "placeholder", "text")
# A candidate's `frame:` value meaning "no iframe", whatever the selector's `frame` says.
TOP_FRAME = "top"

Localised = str | dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Candidate(_Strict):
    """One way to find an element. Exactly one strategy key is set."""

    testid: str | None = None
    css: str | None = None
    role: str | None = None
    name: Localised | None = Field(
        default=None, description="accessible name for `role`, per locale (en, ar, …)"
    )
    label: Localised | None = None
    placeholder: Localised | None = None
    text: Localised | None = None
    xpath: str | None = None
    exact: bool = Field(default=True, description="whole-name match (bidi marks ignored)")
    has_text: Localised | None = Field(
        default=None, description="keep only elements containing this text"
    )
    frame: str | None = Field(
        default=None,
        description="CSS of the iframe this candidate lives in (inside `scope`), instead of "
        f"the selector's `frame`; `{TOP_FRAME}`: no iframe (the top page or the scope itself)",
    )

    @model_validator(mode="after")
    def _one_strategy(self) -> Candidate:
        used = [s for s in STRATEGIES if getattr(self, s) is not None]
        if len(used) != 1:
            raise ValueError(
                "a candidate takes exactly one of " + ", ".join(STRATEGIES)
                + (f" (found {', '.join(used)})" if used else "")
            )
        if self.name is not None and self.role is None:
            raise ValueError("`name` goes with `role`")
        return self

    @property
    def strategy(self) -> str:
        return next(s for s in STRATEGIES if getattr(self, s) is not None)

    def describe(self) -> str:
        value = getattr(self, self.strategy)
        text = f"{self.strategy}={_short(value)}"
        if self.name is not None:
            text += f" name={_short(self.name)}"
        if self.has_text is not None:
            text += f" has_text={_short(self.has_text)}"
        if self.frame is not None:
            text += f" frame={self.frame!r}"
        return text


def _short(value: Localised) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v!r}" for k, v in value.items()) + "}"
    return repr(value)


class SelectorDef(_Strict):
    description: str | None = Field(
        default=None, description="what the element is, for people: 'Composer textarea'"
    )
    scope: str | None = Field(default=None, description="another selector to search inside")
    frame: str | None = Field(
        default=None, description="CSS of the iframe the element lives in (inside `scope`); "
        "the default for candidates that set no `frame` of their own"
    )

    def frame_of(self, cand: Candidate) -> str | None:
        """The iframe CSS a candidate is searched in; None: no iframe."""
        frame = cand.frame if cand.frame is not None else self.frame
        return None if frame == TOP_FRAME else frame
    count: int = Field(default=1, ge=1, description="how many elements must match")
    many: bool = Field(default=False, description="a list: one or more elements match")
    visible: bool = Field(default=True, description="count only visible elements")
    candidates: list[Candidate] = Field(min_length=1)

    def title(self, name: str) -> str:
        return self.description or name


class SelectorFile(_Strict):
    platform: str
    version: Literal[1] = 1
    test_id_attribute: str = "data-testid"
    locales: list[str] = Field(default_factory=lambda: ["en", "ar"])
    private_content: list[str] = Field(
        default_factory=list,
        description="CSS of user content (timeline text, names) that fixture capture scrambles",
    )
    selectors: dict[str, SelectorDef]
