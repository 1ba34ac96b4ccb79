"""The daemon's settings: the `device` section of the one configuration model.

Defined in `common.config` with every other program's section (one precedence, one
duration rule); kept importable here under the name the daemon's code uses.
"""

from __future__ import annotations

from common.config import Account, parse_accounts
from common.config import DeviceSettings as DaemonSettings

__all__ = ["Account", "DaemonSettings", "parse_accounts"]
