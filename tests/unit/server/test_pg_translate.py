"""The shared statements as PostgreSQL receives them: placeholders and the one dialect word."""

from __future__ import annotations

from server.store.pg_core import PgRow, translate


def test_placeholders_become_psycopgs() -> None:
    assert translate("SELECT * FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT * FROM t WHERE a = %s AND b IN (%s, %s)")
    assert translate("UPDATE t SET x = :now WHERE id = :id AND y < :now") == (
        "UPDATE t SET x = %(now)s WHERE id = %(id)s AND y < %(now)s")


def test_literal_percent_and_casts_survive() -> None:
    assert translate("SELECT 'a%' WHERE x LIKE ?") == "SELECT 'a%%' WHERE x LIKE %s"
    assert translate("SELECT x::text FROM t") == "SELECT x::text FROM t"


def test_sqlites_two_argument_max_is_greatest() -> None:
    assert translate("SET verify_first = MAX(verify_first, ?)") == (
        "SET verify_first = GREATEST(verify_first, %s)")
    assert translate("SELECT MAX(id) FROM t") == "SELECT MAX(id) FROM t"


def test_rows_read_by_name_and_position() -> None:
    kind = type("Row", (PgRow,), {"_names": {"id": 0, "status": 1}})
    row = kind(("job_1", "QUEUED"))
    assert row["status"] == row[1] == "QUEUED"
    assert row["id"] == row[0] == "job_1"
    assert row.keys() == ["id", "status"]
