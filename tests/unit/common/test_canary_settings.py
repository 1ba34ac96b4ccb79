"""The canary settings of the device section: per account, off unless named, durations."""

from __future__ import annotations

import pytest

from common.config import DeviceSettings, load_section
from common.errors import ConfigError


def test_off_by_default_for_every_account() -> None:
    device = load_section(DeviceSettings, environ={}, doc={})
    assert device.canary_every == {}
    assert device.canary_jitter_s == 300.0 and device.canary_margin_s == 600.0


def test_enabled_per_account_from_the_environment_and_the_file() -> None:
    env = {"PUBLISH_RUNNER_DEVICE__CANARY_EVERY": "x/main=30m, threads/brand=2h",
           "PUBLISH_RUNNER_DEVICE__CANARY_MARGIN_S": "90s"}
    device = load_section(DeviceSettings, environ=env, doc={})
    assert device.canary_every == {"x/main": 1800.0, "threads/brand": 7200.0}
    assert device.canary_margin_s == 90.0
    doc = {"device": {"canary_every": {"x/main": "1h"}, "canary_jitter_s": "1m"}}
    device = load_section(DeviceSettings, environ={}, doc=doc)
    assert device.canary_every == {"x/main": 3600.0} and device.canary_jitter_s == 60.0


@pytest.mark.parametrize("value", ["x=1h", "x/main=0", "x/main=soon", "/main=1h"])
def test_a_bad_canary_setting_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="canary_every"):
        load_section(DeviceSettings, environ={"PUBLISH_RUNNER_DEVICE__CANARY_EVERY": value},
                     doc={})
