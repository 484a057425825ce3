"""The `organise` command. With no sub-command it serves the app."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path

import click
import uvicorn

from organise import jobs
from organise.bootstrap import load_settings, migrate_database, run_with_runtime
from organise.campaigns import lifecycle as campaign_lifecycle
from organise.campaigns.cli import campaign
from organise.contracts.cli import import_group
from organise.db import pending_model_changes, write_migrations
from organise.instance import missing_parts
from organise.keystore.cli import keystore
from organise.organisers.cli import organiser, token
from organise.reports.cli import recount
from organise.runtime import Runtime, open_runtime
from organise.surveys.cli import survey


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Organise: report law-enforcement contracts and sign threshold pledges, safely.

    Settings come from the environment (see README): DATABASE_URL, ORGANISE_INSTANCE_DIR,
    ORGANISE_KEYSTORE_PATH and others. Run without a command to serve the app.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes. More than one needs PostgreSQL.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app (applies pending migrations first). No access log is ever written."""
    settings = load_settings()
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException("--workers above 1 needs PostgreSQL (set DATABASE_URL).")
    migrate_database(settings)
    # The secret key and peppers made once here, before several workers could race for them.
    open_runtime(settings).close()
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Organise is running at http://{shown_host}:{port}/  (Ctrl+C to stop)")
    if settings.shared_keystore and settings.secret_key_hex is None:
        # Each host would make its own secret key: a session begun on one would fail on another.
        click.echo(
            "The shared keystore is set but ORGANISE_SECRET_KEY is not: every host must have "
            "the same secret key, or organisers' sessions work on one host only.",
            err=True,
        )
    if settings.public_url is None:
        click.echo(
            "ORGANISE_PUBLIC_URL is not set: links, redirects and invite slips carry this "
            "address, which only this machine can open. Set it before anyone else uses the site.",
            err=True,
        )
    else:
        click.echo(f"Its public address: {settings.public_url}/")
    uvicorn.run(
        "organise.app:create_app_from_environ",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        server_header=False,
        log_level="warning",
        # Off unless asked: behind an onion service every client is 127.0.0.1 and could
        # otherwise claim any scheme. With a TLS proxy on this host, set ORGANISE_TRUST_PROXY.
        proxy_headers=settings.trust_proxy,
        forwarded_allow_ips="127.0.0.1",
    )


@main.command()
def migrate() -> None:
    """Apply database migrations that have not been applied yet."""
    migrate_database(load_settings())
    click.echo("Database is up to date.")


@main.command()
def init() -> None:
    """Create a new instance here (or at ORGANISE_INSTANCE_DIR) and its database tables.

    Only `init`, `serve` and `migrate` create an instance; every other command refuses to run
    where there is none.
    """
    settings = load_settings()
    # With the shared keystore and PostgreSQL, nothing in the folder is required: its presence
    # is what tells a new host from one set up before.
    existed = not missing_parts(settings) and settings.instance_dir.exists()
    migrate_database(settings)
    open_runtime(settings).close()  # the secret key and the peppers, made once here
    if existed:
        click.echo(f"The instance at {settings.instance_dir} already exists; it is up to date.")
    else:
        click.echo(f"Created a new instance at {settings.instance_dir}.")


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if the models need a migration not committed.")
def makemigrations(check: bool) -> None:
    """Write migrations for model changes (developers), or check that none are needed."""
    # The models against the committed migrations: no database, so no instance, is needed.
    settings = dataclasses.replace(load_settings(), database_url="sqlite://:memory:")
    writers = asyncio.run(pending_model_changes(settings))
    if not writers:
        click.echo("Models and migrations agree.")
        return
    if check:
        names = ", ".join(writer.name for writer in writers)
        click.echo(f"Models have changes without a migration: {names}", err=True)
        sys.exit(1)
    for path in write_migrations(writers):
        click.echo(f"Wrote {Path(path).name}")


@main.command()
def tick() -> None:
    """Run every feature's time-based jobs once, as the server does every 30 s. For cron.

    Campaigns (deadlines, cooling-off, reveals, old day keys) and surveys (closing and releasing
    at the closing time, the end of the texts' retention). Prints one JSON object: the
    campaigns' counts, and each other feature's under its name ("surveys").
    """

    async def work(runtime: Runtime) -> dict[str, object]:
        report: dict[str, object] = dict(
            (await campaign_lifecycle.tick(runtime.keystore)).as_dict()
        )
        for name, job in jobs.FEATURE_JOBS.items():
            report[name] = (await job(runtime.keystore)).as_dict()
        return report

    click.echo(json.dumps(run_with_runtime(work)))


main.add_command(organiser)
main.add_command(token)
main.add_command(campaign)
main.add_command(import_group)
main.add_command(recount)
main.add_command(survey)
main.add_command(keystore)
