"""The step-action registry matches the step vocabulary exactly."""

from __future__ import annotations

import inspect

import pytest

from runner.engine.actions import ACTIONS, action
from runner.engine.steps import STEP_TYPES


def test_every_step_type_has_exactly_one_action() -> None:
    assert set(ACTIONS) == set(STEP_TYPES)


def test_actions_are_coroutine_functions() -> None:
    for kind, fn in ACTIONS.items():
        assert inspect.iscoroutinefunction(fn), kind


def test_a_kind_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="click"):
        action("click")(ACTIONS["click"])
    assert set(ACTIONS) == set(STEP_TYPES)
