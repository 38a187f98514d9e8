"""Alembic environment: run migrations on the connection the engine hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always driven through bot.storage.migrate
    raise RuntimeError("run migrations with `orgbot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
