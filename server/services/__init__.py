"""The server's domain operations, one service per concern; the API and the dashboard both
call these, never the store directly nor each other's routes.

A service owns what a request means beyond the store's one transaction: the wake-ups of
waiting claims, the settings that shape a call (attempt budget, online window, timeouts),
and running the store's blocking calls off the event loop. Routes only parse, call one
service method and shape the reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.services._base import Parts, offload
from server.services.definitions import Definitions
from server.services.devices import Devices
from server.services.health import Health
from server.services.jobs import Flags, Jobs
from server.services.media import Media
from server.services.posts import Posts
from server.services.runs import Runs

__all__ = ["Definitions", "Devices", "Flags", "Health", "Jobs", "Media", "Parts", "Posts", "Runs",
           "Services", "offload"]


@dataclass(frozen=True)
class Services:
    posts: Posts
    jobs: Jobs
    runs: Runs
    devices: Devices
    media: Media
    health: Health
    definitions: Definitions

    @classmethod
    def build(cls, parts: Parts) -> Services:
        return cls(posts=Posts(parts), jobs=Jobs(parts), runs=Runs(parts),
                   devices=Devices(parts), media=Media(parts), health=Health(parts),
                   definitions=Definitions(parts))
