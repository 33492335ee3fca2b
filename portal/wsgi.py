from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

from portal.checks import refuse_to_start_without_secrets  # noqa: E402 - after setup

# gunicorn runs no system checks: stop here, not at the first request.
refuse_to_start_without_secrets()
