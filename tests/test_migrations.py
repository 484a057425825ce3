"""The committed migrations match the models (CI fails otherwise)."""

from __future__ import annotations

from organise.db import pending_model_changes


async def test_models_and_committed_migrations_agree(settings):
    writers = await pending_model_changes(settings)
    assert [writer.name for writer in writers] == [], (
        "Models changed without a migration: run `organise makemigrations` and commit the result"
    )
