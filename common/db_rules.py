"""Rules PostgreSQL enforces as well as the app (issue 9): triggers installed by
migrations, and the one way the app tells a trigger that a guarded change is intended.

The triggers read only the row (OLD/NEW) and transaction-local settings, so they cannot
be fooled by a forgotten filter and cost no extra query; the one exception guards what a
unit's marks mean (iamis migration 0006: tasks, maximum marks, grade scale), which asks
whether any mark for the unit is submitted, and only when a guarded column changes. A refusal is raised with
SQLSTATE 23000, which Django turns into IntegrityError. On SQLite (the embedded default)
the operations do nothing and the app's own checks still hold.
"""

from __future__ import annotations

from django.db import connection, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

# Names of the transaction-local settings the triggers read.
LOCKED_MARK_CHANGE = "iamis.locked_mark_change"
RETENTION = "iamis.retention"


class PostgresSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def declare(setting: str, value: str) -> None:
    """Tell this transaction's triggers that a guarded change is intended (for example
    the approved change of one submitted mark). Must be called inside `atomic()`: the
    setting ends with the transaction."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("declare() outside a transaction would have no effect")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
