"""Dashboard tests; helpers import as tests.integration.dashboard.dashboard_helpers."""
