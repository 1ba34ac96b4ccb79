"""Where the playbooks, selector files and fixtures come from: one rule, said out loud.

A definitions root is a folder holding `playbooks/` and `selectors/` (and usually
`fixtures/`). The first of these wins:

1. the `--definitions DIR` flag of a command (`flag`),
2. the `PUBLISH_RUNNER_DEFINITIONS` environment variable (`env`),
3. `definitions:` in the config file (the command's `--config`, else the default one),
   relative to that file (`config`),
4. the current directory, when it holds `playbooks/` and `selectors/` (`cwd`): a team keeps
   its own selector files in its own folder and runs the tool there,
5. the copy shipped with the package (`package`): inside the wheel under
   `runner/_definitions/`, found through `importlib.resources`; in a source checkout or an
   editable install, the checkout's own top-level folders.

A root chosen explicitly (1 to 3) must exist and hold `playbooks/`, or the command stops with
a one-line error. The CLI logs the chosen root once (stderr, as text or JSON like every log
line), so stdout stays clean for `--json`; library callers resolve silently.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from common.errors import ConfigError

__all__ = [
    "ENV",
    "DefinitionsRoot",
    "announce",
    "choose",
    "current",
    "packaged",
    "reset",
    "resolve",
    "use_config_file",
]

ENV = "PUBLISH_RUNNER_DEFINITIONS"
log = logging.getLogger(__name__)
PACKAGE_FOLDER = "_definitions"


@dataclass(frozen=True)
class DefinitionsRoot:
    """A resolved root and which rule chose it (flag, env, config, cwd, package)."""

    path: Path
    source: str

    def describe(self) -> str:
        return f"definitions: {self.path} ({self.source})"

    @property
    def installed_copy(self) -> bool:
        """The wheel's copy inside site-packages: read it, never write new fixtures there."""
        return self.source == "package" and self.path.name == PACKAGE_FOLDER


def _holds_definitions(folder: Path) -> bool:
    return (folder / "playbooks").is_dir() and (folder / "selectors").is_dir()


def _explicit(value: str | Path, source: str, base: Path | None = None) -> DefinitionsRoot:
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    path = path.resolve()
    if not path.is_dir():
        raise ConfigError(f"definitions root {path} ({source}) is not a folder")
    if not (path / "playbooks").is_dir():
        raise ConfigError(f"definitions root {path} ({source}) has no playbooks/ folder")
    return DefinitionsRoot(path, source)


def packaged() -> DefinitionsRoot:
    """The shipped copy: the wheel's `runner/_definitions/`, else the source checkout."""
    shipped = resources.files("runner") / PACKAGE_FOLDER
    if isinstance(shipped, Path) and _holds_definitions(shipped):
        return DefinitionsRoot(shipped.resolve(), "package")
    checkout = Path(str(resources.files("runner"))).resolve().parent
    if _holds_definitions(checkout):
        return DefinitionsRoot(checkout, "package")
    raise ConfigError("no definitions found: this installation ships no playbooks; set "
                      f"--definitions DIR or {ENV}")


def _from_config(config_file: Path | None) -> DefinitionsRoot | None:
    if config_file is None or not config_file.is_file():
        return None
    from common.config import read_file

    value = read_file(config_file).get("definitions")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{config_file}: definitions must be a folder path")
    return _explicit(value, "config", base=config_file.resolve().parent)


def resolve(*, flag: str | Path | None = None, environ: Mapping[str, str] | None = None,
            config_file: Path | None = None, cwd: Path | None = None) -> DefinitionsRoot:
    """Apply the rule of the module docstring to these inputs (no caching, no output)."""
    environ = os.environ if environ is None else environ
    if flag:
        return _explicit(flag, "flag")
    if environ.get(ENV):
        return _explicit(environ[ENV], "env")
    from_config = _from_config(config_file)
    if from_config is not None:
        return from_config
    here = (cwd or Path.cwd()).resolve()
    if _holds_definitions(here):
        return DefinitionsRoot(here, "cwd")
    return packaged()


_state: dict[str, DefinitionsRoot | Path | bool | None] = {"root": None, "announce": False,
                                                           "config": None}


def choose(flag: str | Path | None = None, config_file: Path | None = None) -> DefinitionsRoot:
    """Resolve once for this process (the CLI calls it with the command's flag)."""
    root = resolve(flag=flag, config_file=config_file)
    _state["root"] = root
    return root


def current() -> DefinitionsRoot:
    """The root in use: the one chosen, else resolved now from env, config and cwd. The
    first use prints the root on stderr when the CLI asked for it (`announce`)."""
    root = _state["root"]
    if not isinstance(root, DefinitionsRoot):
        from common.config import config_file

        named = _state["config"]
        root = choose(config_file=named if isinstance(named, Path) else config_file())
    if _state["announce"] is True:
        _state["announce"] = False
        log.info("%s", root.describe())
    return root


def use_config_file(path: Path | None) -> None:
    """A command's own `--config FILE`: read its `definitions:` when nothing chose yet."""
    if path is not None:
        _state["config"] = path


def announce() -> None:
    """Ask `current()` to print the root once, on its first use (for CLI commands)."""
    _state["announce"] = True


def reset() -> None:
    """Forget the chosen root (tests, and a CLI invocation run in the same process)."""
    _state["root"] = None
    _state["announce"] = False
    _state["config"] = None
