"""The core daemon tests again, on a team's server: PostgreSQL with two replicas behind one
URL (`serve --workers 2`, see tests/e2e/conftest.py). The ones that cross replicas: a
publish with its proofs (uploaded to either, read from either), a killed claim recovered by
the replicas' recovery loops, a cancel and a confirm reaching the device through whichever
replica it asks, and both replicas lost and back while the device keeps its results.

A file of its own, so a parallel run (`--dist loadfile`) gives it a worker of its own.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PG_REPLICAS
from tests.e2e.test_daemon import (
    test_cancel_reaches_the_running_device_before_publish,
    test_killed_while_claimed_is_recovered_and_published_once,
    test_manual_confirmation_gates_the_publish,
    test_results_survive_a_lost_server_and_a_daemon_restart,
    test_text_post_is_published_with_proofs,
)

__all__ = [
    "test_cancel_reaches_the_running_device_before_publish",
    "test_killed_while_claimed_is_recovered_and_published_once",
    "test_manual_confirmation_gates_the_publish",
    "test_results_survive_a_lost_server_and_a_daemon_restart",
    "test_text_post_is_published_with_proofs",
]

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def server_backend() -> str:
    return PG_REPLICAS
