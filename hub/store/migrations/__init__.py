"""The hub's schema history: Alembic revisions, run by hub.store.database (no alembic.ini).

`open_database` (every `bilik-hub` command, the app at start) and `bilik-hub db upgrade` bring a
database to the newest revision here. A change to hub.store.models needs a revision, or
tests/hub/test_migrations.py fails:

    bilik-hub db revision -m "stream presence per process"

writes `versions/NNNN_<slug>.py` from `alembic revision --autogenerate`, run against a scratch
SQLite database upgraded to the current head; read it, fix what autogenerate cannot know (a
rename, a default for existing rows), and keep it runnable on SQLite (batch mode: SQLite cannot
alter a column in place, so `batch_alter_table` copies the table) and PostgreSQL.

A revision is frozen once released: it never imports the models (they keep changing), it spells
its tables and types out.
"""
