"""Apply the retention schedule now: `manage.py apply_retention [--today YYYY-MM-DD]`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from common import scoping
from portal.retention import retention_apply, retention_due


class Command(BaseCommand):
    help = (
        "Remove evidence files and report PDFs, and erase candidates' names and dates "
        "of birth, once past the retention period (docs/operations.md, Retention). Safe to rerun."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="Work as if it were this date (YYYY-MM-DD); default: today.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count what would be removed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with scoping.every_centre("manage.py apply_retention"):
            self._apply(options)

    def _apply(self, options: dict[str, Any]) -> None:
        today = options["today"] or timezone.localdate()
        if options["dry_run"]:
            due = retention_due(today)
            self.stdout.write(
                f"as of {today}: {due.files} evidence files and {due.pdfs} report PDFs "
                f"(series with results on or before {due.dates.evidence_results_before}"
                f") and {due.candidates} candidates (every series on or before "
                f"{due.dates.candidate_results_before}) are due; nothing was changed"
            )
            return
        run = retention_apply(today=today, triggered_by="command")
        self.stdout.write(
            f"retention run {run.pk}: {run.files_removed} evidence files and "
            f"{run.pdfs_removed} report PDFs removed, {run.candidates_erased} "
            f"candidates erased"
        )
