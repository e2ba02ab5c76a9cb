"""Alembic's entry point, configured by hub.store.database (never by an alembic.ini).

The caller hands over an open connection inside its own transaction (taken under the upgrade
lock), so checking the revision and migrating are one step that no other process can interleave.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from hub.store.models import Base, UTCDateTime

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the hub's migrations run through `bilik-hub db upgrade` (hub.store.database), "
        "and new revisions are written with `bilik-hub db revision`"
    )


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Revisions never import the models: UTCDateTime is written as the DateTime it stores."""
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime()"
    return False


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it: autogenerate writes batch operations, which run as
    # plain ALTERs on PostgreSQL.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
