"""Integration tests: real parts (Chromium, loopback HTTP, SQLite, PostgreSQL)."""
