"""Load the demo data and print how to sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common import scoping
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo_data


class Command(BaseCommand):
    help = (
        "Create the demo board, centres, staff, series, units and entries (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-debug-off",
            action="store_true",
            help=(
                "Load the demo even though DEBUG is off (a local docker compose "
                "try-out). Never on a real site: the accounts' password and "
                "authenticator key are published."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Accounts with a published password and authenticator key: only where DEBUG
        # says this is not a real site (bin/run), unless asked for in so many words.
        if not settings.DEBUG and not options["allow_debug_off"]:
            raise CommandError(
                "demo_data creates accounts whose password and authenticator key are "
                "published, so it refuses to run with DEBUG off. For a local try-out "
                "(docker compose), add --allow-debug-off."
            )
        with scoping.every_centre("manage.py demo_data"):
            accounts = load_demo_data()
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        # The address e-mail links use: bin/run sets it to where it serves.
        site = settings.SITE_URL.rstrip("/") or "http://127.0.0.1:8000"
        self.stdout.write(f"Sign in at {site}/ with any of these accounts:")
        width = max(len(account.email) for account in accounts)
        for account in accounts:
            self.stdout.write(f"  {account.email.ljust(width)}  {account.role}")
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"Authenticator key for every demo account: {DEMO_TOTP_SECRET} "
            "(add it to an authenticator app, or run "
            "'DJANGO_DEBUG=true .venv/bin/python manage.py demo_code' for the current "
            "6-digit code)"
        )
