"""The one exception tree of publish-runner.

Third-party errors (Playwright, httpx, YAML, pydantic) are translated at the boundary into
these, so callers see what failed in our terms: which file and line, which platform, phase,
step and selector.

    PublishRunnerError
    ├── ConfigError            settings that cannot be used
    ├── DefinitionError        a playbook or selector file that cannot be loaded
    ├── TemplateError          a `{{ placeholder }}` names a value the run does not have
    ├── BrowserError           no browser, or it would not start
    ├── ServerError            talking to the publishing server (see runner.client)
    │   ├── ServerUnavailable  unreachable or failing; worth trying again later
    │   └── ServerRejected     a 4xx: retrying will not help
    │       └── LeaseLost      this device no longer holds the job
    └── StepError              a playbook step failed while running
        ├── SelectorNotFound   no candidate of a selector resolved
        ├── StepTimeout        a wait ran out of time
        ├── ClickIntercepted   an overlay took the click
        ├── AssertionFailed    an assert step or a read-back did not hold
        ├── PlatformRejected   the platform showed an error for the post
        ├── ChallengeRequired  a challenge, checkpoint or locked account
        ├── LoginRequired      the account is logged out (NEEDS_LOGIN)
        └── RunCancelled       stopped before the irreversible step

Beside the tree: `Problem` (one located problem in a definition file, carried by
DefinitionError) and `StepContext` (where a StepError happened).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PublishRunnerError(Exception):
    """Root of every error publish-runner raises on purpose."""


class ConfigError(PublishRunnerError):
    """Settings that cannot be used."""


class BrowserError(PublishRunnerError):
    """No usable browser, or it would not start."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a definition file, located to file:line:col."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


class DefinitionError(PublishRunnerError):
    """A playbook or selector file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TemplateError(PublishRunnerError):
    """A `{{ placeholder }}` names a value the run does not have (the engine reports it as
    the failing step's error)."""


@dataclass
class StepContext:
    """Where a step error happened, so its message can say it."""

    platform: str = ""
    phase: str = ""
    step: str = ""
    selector: str | None = None
    selector_file: str | None = None
    selector_line: int | None = None
    tried: list[str] = field(default_factory=list)


class StepError(PublishRunnerError):
    """A playbook step failed. `code` is stable for machines; str() is for people."""

    code = "STEP_FAILED"

    def __init__(self, message: str, ctx: StepContext | None = None) -> None:
        self.ctx = ctx or StepContext()
        self.detail = message
        super().__init__(message)


class SelectorNotFound(StepError):
    """No candidate of a selector resolved to the expected element."""

    code = "SELECTOR_NOT_FOUND"


class StepTimeout(StepError):
    """A wait ran out of time."""

    code = "TIMEOUT"


class ClickIntercepted(StepError):
    """Another element (an overlay) received the click."""

    code = "CLICK_INTERCEPTED"


class AssertionFailed(StepError):
    """An assert step, or the read-back of typed text, did not hold."""

    code = "ASSERTION_FAILED"


class PlatformRejected(StepError):
    """The platform showed an error for the post (its own words are in the message)."""

    code = "PLATFORM_REJECTED"


class ChallengeRequired(StepError):
    """The platform asks for a challenge, checkpoint, or reports a locked account."""

    code = "CHALLENGE"


class LoginRequired(StepError):
    """The account is logged out (a login wall showed): the run ends NEEDS_LOGIN, and the
    operator logs in again. Not a failure of the post, so it is never retried."""

    code = "NEEDS_LOGIN"


class RunCancelled(StepError):
    """The run was stopped before the irreversible step (cancel, rejection, shutdown)."""

    code = "CANCELLED"


class ServerError(PublishRunnerError):
    """Talking to the publishing server failed (see runner.client)."""


class ServerUnavailable(ServerError):
    """The server could not be reached, or kept failing (network, 408, 429, 5xx) after
    retries; worth trying again later."""


class ServerRejected(ServerError):
    """The server refused a request (a 4xx other than 408/429); retrying will not help."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"server refused ({status} {code}): {message}")


class LeaseLost(ServerRejected):
    """A job call was refused with 403/409: this device no longer holds the job (it was
    recovered, cancelled into another state, or belongs to another device). Stop working on
    it; never publish after this."""


__all__ = [
    "AssertionFailed",
    "BrowserError",
    "ChallengeRequired",
    "ClickIntercepted",
    "ConfigError",
    "DefinitionError",
    "LeaseLost",
    "LoginRequired",
    "PlatformRejected",
    "Problem",
    "PublishRunnerError",
    "RunCancelled",
    "SelectorNotFound",
    "ServerError",
    "ServerRejected",
    "ServerUnavailable",
    "StepContext",
    "StepError",
    "StepTimeout",
    "TemplateError",
]
