"""PostgreSQL refuses changes to submitted marks (issue 9).

A submitted (locked) mark cannot be deleted, unlocked or moved to another submission;
its value can change only where the approved-change path has declared that mark in the
same transaction (common.db_rules.LOCKED_MARK_CHANGE). Saving a locked mark with the
same value (a no-op save) is allowed. Clerical corrections write their own rows and
never touch the mark.
"""

from django.db import migrations

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE FUNCTION iamis_mark_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.is_locked THEN
            RAISE EXCEPTION 'submitted mark % cannot be deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NOT OLD.is_locked THEN
        RETURN NEW;
    END IF;
    IF NOT NEW.is_locked
        OR NEW.submission_id IS DISTINCT FROM OLD.submission_id
        OR (NEW.entry_id, NEW.centre_id, NEW.unit_id)
            IS DISTINCT FROM (OLD.entry_id, OLD.centre_id, OLD.unit_id) THEN
        RAISE EXCEPTION 'submitted mark % stays locked in its submission', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.status, NEW.task_marks, NEW.total, NEW.grade, NEW.initials, NEW.is_complete)
        IS DISTINCT FROM
       (OLD.status, OLD.task_marks, OLD.total, OLD.grade, OLD.initials, OLD.is_complete)
        AND coalesce(current_setting('iamis.locked_mark_change', true), '')
            <> OLD.id::text THEN
        RAISE EXCEPTION 'submitted mark % cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER iamis_mark_guard BEFORE UPDATE OR DELETE ON iamis_mark
    FOR EACH ROW EXECUTE FUNCTION iamis_mark_guard();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS iamis_mark_guard ON iamis_mark;
DROP FUNCTION IF EXISTS iamis_mark_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("iamis", "0003_alter_markchange_source")]

    operations = [PostgresSQL(FORWARDS, BACKWARDS)]
