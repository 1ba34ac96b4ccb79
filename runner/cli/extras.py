"""The commands that need the `server` extra say so in one line instead of a traceback.

`pip install publish-runner` gives the device (run against a server, lint, replay, capture);
the reference server, its dashboard, the embedded server of `run` and the demo need
FastAPI, uvicorn, Jinja2 and python-multipart: `pip install 'publish-runner[server]'`.
"""

from __future__ import annotations

import functools
from importlib.util import find_spec
from typing import Any

import click

from common.errors import ConfigError

__all__ = ["NEEDS_SERVER", "SERVER_EXTRA", "guard", "missing_server_packages",
           "require_server_extra"]

SERVER_EXTRA = "pip install 'publish-runner[server]'"
# import name → distribution name, as the extra in pyproject.toml lists them
_PACKAGES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "jinja2": "jinja2",
             "multipart": "python-multipart"}


def missing_server_packages() -> list[str]:
    return [dist for module, dist in _PACKAGES.items() if find_spec(module) is None]


def require_server_extra(what: str) -> None:
    """Stop with one line (exit 2, through the CLI's error handling) when it is missing."""
    missing = missing_server_packages()
    if missing:
        raise ConfigError(f"{what} needs the server extra ({', '.join(missing)} missing): "
                          f"{SERVER_EXTRA}")


# The commands that always need it; `run` needs it only without --server-url.
NEEDS_SERVER = {"serve": "publish-runner serve", "demo": "publish-runner demo",
                "sandbox": "publish-runner sandbox (the local platform)"}


def guard(command: click.Command, what: str) -> None:
    """Check for the extra before the command's own code (and its imports) runs."""
    callback = command.callback
    if callback is None:
        return

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        require_server_extra(what)
        return callback(*args, **kwargs)

    command.callback = checked
