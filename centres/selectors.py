"""Reads about memberships that every request needs (centres.tenancy)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, TextField, Value
from django.db.models.functions import Coalesce

from common.aggregates import joined_text

from .models import AccessGrant, Membership


def _joined(rows: QuerySet[Any], column: str) -> Coalesce:
    """`column` of the outer membership's `rows`, joined by commas ("" when none)."""
    text = joined_text(
        rows.filter(membership=OuterRef("pk")), per="membership", item=column
    )
    return Coalesce(text, Value(""), output_field=TextField())


def with_access(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Each membership with its granted areas (Membership.has_access) and the units and
    qualifications it is limited to (Membership.iamis_limit), read in the same query."""
    return memberships.annotate(
        granted_areas=_joined(AccessGrant.objects.all(), "area"),
        limited_unit_ids=_joined(
            Membership.iamis_units.through.objects.all(), "unit_id"
        ),
        limited_qualification_ids=_joined(
            Membership.iamis_qualifications.through.objects.all(), "qualification_id"
        ),
    )
