"""A correlated subquery that brings the outer row's related rows back as one text value.

Used where a hot read needs a handful of related rows without a query of their own: a
membership's granted areas and unit limit (accounts.selectors.with_access), a unit's tasks
(iamis.selectors). Works on PostgreSQL and SQLite alike; SQLite cannot order inside an
aggregate, so the items come in no set order.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Expression,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast


def joined_text(
    rows: QuerySet[Any], *, per: str, item: str | Expression, delimiter: str = ","
) -> Subquery:
    """`item` of each of `rows` (filtered on the outer row already, through their field
    `per`), as text joined by `delimiter`; NULL when there are none."""
    joined = (
        rows.order_by()
        .values(per)
        .annotate(
            text=StringAgg(
                Cast(item, TextField()),
                delimiter=Value(delimiter),
                output_field=TextField(),
            )
        )
        .values("text")
    )
    return Subquery(joined, output_field=TextField())
