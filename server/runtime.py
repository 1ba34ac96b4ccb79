"""The running server's parts, built once by `create_app` and read by every route."""

from __future__ import annotations

from dataclasses import dataclass

from server import auth
from server.assets import AssetFiles
from server.recovery import Uptime
from server.services import Services
from server.settings import ServerSettings
from server.store import Store
from server.wakeup import Wakeup

__all__ = ["ServerState"]


@dataclass
class ServerState:
    settings: ServerSettings
    store: Store
    wakeup: Wakeup
    assets: AssetFiles
    tokens: auth.Tokens
    services: Services
    uptime: Uptime
    recovery_passes: int = 0  # completed passes, so tests can wait for one
