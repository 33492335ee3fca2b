from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from common import scoping
from training.content import DEFAULT_CONTENT, content_load_file


class Command(BaseCommand):
    help = "Load (or update) training content from a JSON data file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_CONTENT))
        parser.add_argument(
            "--publish", action="store_true", help="open the year to centres"
        )

    def handle(self, *args: object, **options: object) -> None:
        # Content is the board's, but loading it may touch centres' progress rows.
        with scoping.every_centre("manage.py load_training"):
            year = content_load_file(
                Path(str(options["path"])), publish=bool(options["publish"])
            )
        self.stdout.write(
            f"Loaded {year.assessments.count()} assessments for {year.label}"
            + (" (published)" if year.published_at else "")
        )
