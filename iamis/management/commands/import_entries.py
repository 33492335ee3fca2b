"""Import processed entries from a CSV file: every row, or none when any row is wrong."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common import scoping
from iamis.models import Series
from iamis.services.entries import entries_import_file


class Command(BaseCommand):
    help = (
        "Import entries for one series from a CSV file with the columns centre_number, "
        "candidate_number, surname, forename, date_of_birth, unit_code."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("csv_file", type=Path)
        parser.add_argument(
            "--series", required=True, help="The series slug, e.g. gcse-june-2027."
        )

    def handle(self, *args: Any, csv_file: Path, series: str, **options: Any) -> None:
        try:
            target = Series.objects.get(slug=series)
        except Series.DoesNotExist:
            slugs = ", ".join(Series.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(
                f"No series {series!r}. Known series: {slugs}."
            ) from None
        try:
            data = csv_file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {csv_file}: {error}") from None
        # Entries name their centres in the file: the import works across centres.
        with scoping.every_centre("manage.py import_entries"):
            result = entries_import_file(series=target, data=data, acting_user=None)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.problems)} problem(s) in {csv_file}; nothing was imported."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rows} rows into {target.name}: "
                f"{result.entries_created} new entries "
                f"({result.entries_already_present} already present), "
                f"{result.candidates_created} new candidates, "
                f"{result.candidates_updated} candidates updated."
            )
        )
