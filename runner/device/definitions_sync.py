"""Which definitions the daemon runs jobs with, and following the server's versions.

The server names its current definitions version in every heartbeat reply (to a device
that says which definitions it uses). `DefinitionsSync` downloads that version's archive,
unpacks it under the bundle limits into its own folder under the daemon's home
(`definitions/v<N>-<hash>/`, owner-only), checks that the unpacked set has the offered hash
(`common.definitions_set`, the rule every side uses) and only then makes it current. A job
takes `current()` once, when it starts, and keeps it to its end: a new version never
changes a run that is under way, it is used from the next job on.

A device does not follow the server when its operator chose a root explicitly
(`--definitions`, `PUBLISH_RUNNER_DEFINITIONS`, `definitions:` in the config file) or set
`definitions_pin`: it then says once, in its log, which version it is not following.
A version that cannot be used (unreachable, refused, wrong hash) leaves the current one in
place and is tried again after `retry_s`. The last version used is remembered across
restarts (`active.json`), so a daemon that starts while the server is away keeps it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from common.definitions_bundle import BadArchive, Limits, unpack_set
from common.definitions_set import hash_root
from common.errors import ServerError
from contract import models as s
from runner.definitions_root import DefinitionsRoot
from runner.engine import Platform, load_platform

__all__ = ["EXPLICIT", "DefinitionsSync", "InUse"]

log = logging.getLogger(__name__)

EXPLICIT = frozenset({"flag", "env", "config"})  # definitions_root sources an operator chose
STATE_FILE = "active.json"
KEEP = 3  # version folders kept (the current one and the last ones, for a quick rollback)

Fetch = Callable[[str], Awaitable[bytes]]


@dataclass
class InUse:
    """One definitions root as jobs use it: where, which server version (None: the device's
    own), its hash (computed on first use for a local root) and its loaded platforms."""

    path: Path
    version: int | None = None
    known_hash: str | None = None
    source: str = "server"
    _platforms: dict[str, Platform] = field(default_factory=dict, repr=False)

    @property
    def digest(self) -> str:
        if self.known_hash is None:
            self.known_hash = hash_root(self.path)
        return self.known_hash

    def platform(self, name: str) -> Platform:
        """The platform's checked definitions from this root (DefinitionError if broken)."""
        if name not in self._platforms:
            self._platforms[name] = load_platform(name, self.path)
        return self._platforms[name]

    def describe(self) -> str:
        if self.version is None:
            return f"the local definitions {self.path} ({self.source})"
        return f"definitions version {self.version} ({self.digest[:19]}…)"


class DefinitionsSync:
    def __init__(self, folder: Path, local: DefinitionsRoot, *, pinned: bool, fetch: Fetch,
                 limits: Limits | None = None, retry_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self.local = InUse(local.path, source=local.source)
        self.pinned = pinned or local.source in EXPLICIT
        self.fetch = fetch
        self.limits = limits or Limits()
        self.retry_s = retry_s
        self.clock = clock
        self._failed: dict[tuple[int, str], float] = {}  # offer → when to try it again
        self._busy = False
        self._said_pinned = False
        self._current = self.local if self.pinned else self._restore() or self.local

    def current(self) -> InUse:
        """What a job starting now uses (it keeps it to its end)."""
        return self._current

    # --- deciding ------------------------------------------------------------------------

    def wants(self, offer: s.DefinitionsOffer | None) -> bool:
        """Whether this offer should be fetched now (cheap: no I/O)."""
        if offer is None:
            return False  # no version on the server: keep what we have
        current = self._current
        if current.version == offer.version and current.known_hash == offer.hash:
            return False
        if self.pinned:
            if not self._said_pinned:
                self._said_pinned = True
                log.info("definitions: pinned to %s; the server's version %d (%s) is not "
                         "followed", self.local.describe(), offer.version, offer.hash[:19])
            return False
        if self._busy:
            return False
        retry_at = self._failed.get((offer.version, offer.hash))
        return retry_at is None or self.clock() >= retry_at

    # --- following -----------------------------------------------------------------------

    def _folder_of(self, offer: s.DefinitionsOffer) -> Path:
        return self.folder / f"v{offer.version}-{offer.hash.removeprefix('sha256:')[:16]}"

    async def follow(self, offer: s.DefinitionsOffer) -> bool:
        """Fetch, check and switch to the offered version; False (and logged) when it could
        not be used, the current one staying in place."""
        self._busy = True
        incoming = self.folder / f".incoming-{secrets.token_hex(4)}"
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.chmod(0o700)
            target = self._folder_of(offer)
            if not (target.is_dir() and await asyncio.to_thread(hash_root, target) == offer.hash):
                data = await self.fetch(offer.url)
                digest = await asyncio.to_thread(unpack_set, data, incoming, self.limits)
                if digest != offer.hash:
                    raise BadArchive(f"its files hash to {digest}, not the offered {offer.hash}")
                shutil.rmtree(target, ignore_errors=True)
                incoming.rename(target)
            previous = self._current
            self._current = InUse(target, offer.version, offer.hash)
            self._save(offer, target)
            self._prune(keep={target, previous.path})
        except (ServerError, BadArchive, OSError) as exc:
            self._failed[(offer.version, offer.hash)] = self.clock() + self.retry_s
            log.error("definitions: version %d could not be used (%s); jobs go on with %s, "
                      "trying again in %.0fs", offer.version, exc, self._current.describe(),
                      self.retry_s)
            return False
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
            self._busy = False
        log.info("definitions: now using %s from the server (was %s); jobs use it from "
                 "their next start", self._current.describe(), previous.describe())
        return True

    # --- remembering ---------------------------------------------------------------------

    def _save(self, offer: s.DefinitionsOffer, target: Path) -> None:
        state = {"version": offer.version, "hash": offer.hash, "folder": target.name}
        tmp = self.folder / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.folder / STATE_FILE)

    def _restore(self) -> InUse | None:
        """The version used before a restart, if its folder still has its hash."""
        path = self.folder / STATE_FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            version, digest = int(state["version"]), str(state["hash"])
            target = self.folder / str(state["folder"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if target.parent != self.folder or not target.is_dir() or hash_root(target) != digest:
            log.warning("definitions: the remembered version %d is damaged; using %s until "
                        "the server offers one", version, self.local.describe())
            return None
        log.info("definitions: version %d from the server, as before the restart", version)
        return InUse(target, version, digest)

    def _prune(self, keep: set[Path]) -> None:
        folders = sorted((p for p in self.folder.glob("v*-*") if p.is_dir()),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in folders[KEEP:]:
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)
