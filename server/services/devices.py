"""Devices: enrollment, who a token belongs to, heartbeats, logins and the operator's view."""

from __future__ import annotations

import time

from contract import models as s
from server import auth
from server.services._base import Parts, Service
from server.services.definitions import offer

__all__ = ["Devices"]


class Devices(Service):
    def __init__(self, parts: Parts) -> None:
        super().__init__(parts)
        # token hash → device id. A device's token never changes and is never revoked, so a
        # hit is always right; it spares every device request a trip to the store.
        self._known: dict[str, str] = {}

    async def register(self, req: s.RegisterRequest) -> s.RegisterResponse:
        """Enroll a device; its token is shown only in this reply (the store keeps a hash)."""
        token = auth.new_token()
        device_id = await self.call(self.store.register_device, req, auth.hash_token(token))
        return s.RegisterResponse(device_id=device_id, device_token=token,
                                  heartbeat_interval_sec=self.settings.heartbeat_interval)

    async def identify(self, token: str | None) -> str | None:
        """The id of the device this bearer token belongs to, or None."""
        if not token:
            return None
        token_hash = auth.hash_token(token)
        device_id = self._known.get(token_hash)
        if device_id is None:
            device_id = await self.call(self.store.device_for_token, token_hash)
            if device_id is not None:
                self._known[token_hash] = device_id
        return device_id

    async def heartbeat(self, device_id: str, req: s.HeartbeatRequest) -> s.HeartbeatResponse:
        """Refresh lastSeenAt; the reply lists jobs to stop and whether to check logins, and
        to a device that says which definitions it uses, the current version."""
        reply = await self.call(self.store.heartbeat, device_id, req)
        if req.definitions_hash is None:  # a device that does not follow: the reply as before
            return reply
        current = await self.call(self.store.current_definitions)
        return reply.model_copy(update={"definitions": offer(current)})

    async def report_login(
        self, device_id: str, req: s.LoginStatusRequest
    ) -> s.LoginStatusResponse:
        """Logged in again: this device's NEEDS_LOGIN jobs for that account go back to QUEUED
        and wake waiting claims."""
        requeued = await self.call(self.store.report_login, device_id, req)
        self.wakeup.notify(r.target for r in requeued)
        return s.LoginStatusResponse(requeued_job_ids=[r.job_id for r in requeued])

    async def check_login(self, device_id: str) -> s.CheckLoginResponse:
        """Ask the device to verify its logins; its next heartbeat reply says so."""
        await self.call(self.store.request_check_login, device_id)
        return s.CheckLoginResponse(device_id=device_id, check_login=True)

    async def find(self) -> list[s.Device]:
        """ONLINE means seen within `online_window` seconds (2 minutes by default)."""
        return await self.call(self.store.list_devices,
                             online_after=time.time() - self.settings.online_window)
