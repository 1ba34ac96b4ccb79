"""`db migrate` and `db copy`: the server's database outside a running server.

`db migrate` brings a database to the newest schema (what `serve` also does on start, under
the same advisory lock on PostgreSQL), so an upgrade can migrate before replicas restart.
`db copy --from sqlite:PATH --to postgresql://…` moves a one-workstation server to a team's
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    group.add_command(db)


@click.group()
def db() -> None:
    """The server's database: migrate it, or copy a SQLite server's data to PostgreSQL."""


@db.command()
@click.option("--db", "url", required=True, metavar="PATH_OR_URL",
              help="SQLite file, sqlite:PATH or postgresql://… URL.")
def migrate(url: str) -> None:
    """Bring the database to the newest schema version."""
    from server.store import open_store

    store = open_store(url, Path("server.db"))
    try:
        click.echo(f"schema version {store.schema_version}")
    finally:
        store.close()


def _sqlite_path(value: str) -> Path:
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if value.startswith(prefix):
            return Path(value[len(prefix):]).expanduser()
    raise click.BadParameter("must be sqlite:PATH", param_hint="--from")


@db.command()
@click.option("--from", "source", required=True, metavar="sqlite:PATH",
              help="The SQLite database to read.")
@click.option("--to", "target", required=True, metavar="postgresql://…",
              help="An empty PostgreSQL database.")
def copy(source: str, target: str) -> None:
    """Copy every row of a SQLite server into an empty PostgreSQL database."""
    from server.store import is_postgres

    path = _sqlite_path(source)
    if not is_postgres(target):
        raise click.BadParameter("must be a postgresql:// URL", param_hint="--to")
    from server.store.copy import copy_sqlite_to_postgres

    counts = copy_sqlite_to_postgres(path, target)
    for table, count in counts.items():
        click.echo(f"{table:>16}: {count}")
    click.echo("copied; move the assets folder of the old data dir to the shared one")
