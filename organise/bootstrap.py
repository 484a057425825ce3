"""What every command does first: read settings, make the instance, migrate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from tortoise import Tortoise

from organise.db import migrate, tortoise_config
from organise.instance import prepare_instance
from organise.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_environ()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def migrate_database(settings: Settings) -> None:
    prepare_instance(settings)
    asyncio.run(migrate(settings))


T = TypeVar("T")


def run_with_database(work: Callable[[Settings], Awaitable[T]]) -> T:
    """For a command: settings, migrations, then `work(settings)` with the ORM connected."""
    settings = load_settings()
    migrate_database(settings)

    async def connected() -> T:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return await work(settings)
        finally:
            await Tortoise.close_connections()

    return asyncio.run(connected())
