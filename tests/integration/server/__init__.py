"""The reference server's API tests; helpers import as tests.integration.server.conftest."""
