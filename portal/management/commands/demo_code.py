"""Print the current 6-digit code of the demo accounts' shared authenticator key."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Show the demo authenticator's current code (embedded default / DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_code only runs with DEBUG on (the embedded default)."
            )
        totp = pyotp.TOTP(DEMO_TOTP_SECRET)
        remaining = totp.interval - int(time.time()) % totp.interval
        self.stdout.write(f"{totp.now()}  (valid for about {remaining} more seconds)")
