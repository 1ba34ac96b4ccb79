"""Stored files: post media uploaded by the operator, and any recorded asset read back."""

from __future__ import annotations

from pathlib import Path

from contract import models as s
from server import errors
from server.assets import MEDIA_TYPES, Reader
from server.services._base import Service

__all__ = ["Media"]


class Media(Service):
    async def upload(self, file: Reader) -> s.Asset:
        """Post media (images, mp4), checked by their bytes; the id is their sha256."""
        asset = await self.assets.save(file, allowed=MEDIA_TYPES)
        await self.call(self.store.add_asset, asset)
        return asset

    async def open(self, asset_id: str) -> tuple[s.Asset, Path]:
        """The record and the file of an asset; 404 when either is missing."""
        return await self.call(self.locate, asset_id)

    def locate(self, asset_id: str) -> tuple[s.Asset, Path]:
        """`open` for code already off the loop (the escalation bundle's builder)."""
        record = self.store.get_asset(asset_id)
        path = self.assets.path(record.asset_id)
        if not path.exists():
            raise errors.NotFound(f"asset {asset_id} is recorded but its file is missing")
        return record, path
