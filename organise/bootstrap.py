"""What every command does first: read settings, make the instance, migrate."""

from __future__ import annotations

import asyncio

import click

from organise.db import migrate
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
