from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_asgi_application()

from portal.checks import refuse_to_start_without_secrets  # noqa: E402 - after setup

refuse_to_start_without_secrets()
