"""`publish-runner login` and `check-login`, outside a running daemon."""

from __future__ import annotations

import logging

from common.errors import ConfigError, ServerError
from contract import models as s
from runner.browser import discover, resolve_headless, start_playwright
from runner.client import ServerClient
from runner.device import identity
from runner.device.login import check_profile, wait_for_login
from runner.device.profiles import Profiles
from runner.device.settings import Account, DaemonSettings
from runner.engine import load_platform
from runner.engine.engine import EngineOptions

log = logging.getLogger(__name__)


def _options(settings: DaemonSettings, platform: str) -> EngineOptions:
    return EngineOptions.from_settings(settings, platform, human=False)


async def _report(settings: DaemonSettings, account: Account, logged_in: bool) -> None:
    """Tell the server, when this device is registered with one (NEEDS_LOGIN jobs requeue)."""
    if not settings.server_url:
        return
    found = identity.load(settings.identity_file, settings.server_url)
    if found is None:
        log.info("not registered with %s: login state not reported", settings.server_url)
        return
    async with ServerClient(settings.server_url, found.device_token) as client:
        try:
            await client.login_status(found.device_id, s.LoginStatusRequest(
                platform=account.platform, account=account.name, logged_in=logged_in))
        except ServerError as exc:
            log.warning("could not report the login state: %s", exc)


async def login(settings: DaemonSettings, key: str, timeout: float) -> bool:
    account = next((a for a in settings.account_list() if a.key == key), None)
    if account is None:
        raise ConfigError(f"no account {key}")
    platform = load_platform(account.platform)
    work = settings.home / "work"
    work.mkdir(parents=True, exist_ok=True)
    async with start_playwright() as pw:
        profiles = Profiles(pw, discover(settings.browser), headless=resolve_headless(False),
                            cdp_url=settings.cdp_url)
        try:
            context = await profiles.context(account)
            ok = await wait_for_login(platform, context, account,
                                      _options(settings, account.platform), work,
                                      timeout=timeout)
        finally:
            await profiles.close()
    await _report(settings, account, ok)
    return ok


async def check_all(settings: DaemonSettings) -> dict[str, bool]:
    work = settings.home / "work"
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    async with start_playwright() as pw:
        profiles = Profiles(pw, discover(settings.browser),
                            headless=resolve_headless(settings.headless),
                            cdp_url=settings.cdp_url)
        try:
            for account in settings.account_list():
                page = await profiles.page(account)
                results[account.key] = await check_profile(
                    load_platform(account.platform), page, account,
                    _options(settings, account.platform), work)
        finally:
            await profiles.close()
    for account in settings.account_list():
        await _report(settings, account, results[account.key])
    return results
