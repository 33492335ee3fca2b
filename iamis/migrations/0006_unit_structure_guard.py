"""PostgreSQL refuses to change what a unit's marks mean once any of them is submitted
(issue 20).

Once any centre's mark for a unit is locked in a submission, its tasks cannot be added,
removed, renumbered, moved to another unit or given another maximum, and the unit's grade
scale and way of assessment (marks or outcomes) cannot change: a maximum lowered from 100
to 50 would leave submitted marks of 91 above it. A task's name and the unit's other
details may still change. Before any submission too, a task's maximum is never lowered
below a mark already saved for it. The back office says so first (iamis.services.
unit_structure_check); these triggers hold for every other path.

Unlike the mark guard, these read one other table: an EXISTS on the unit's locked marks
(the foreign-key index on iamis_mark.unit_id), run only when a guarded column changes,
after waiting for any submission of the unit still in progress (an advisory lock that
locking a mark takes too), so a change racing a submission is refused rather than
slipping in before it commits.
"""

from django.db import migrations

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE FUNCTION iamis_unit_marks_submitted(unit bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM iamis_mark WHERE unit_id = unit AND is_locked)
$$;

-- A change to what the marks mean and the submission of a mark for the same unit take
-- one transaction-level advisory lock of the unit's (exclusive for the change, shared
-- for each mark being locked), so they queue: a change waiting for a submission in
-- progress checks afterwards (a new snapshot in read committed) and sees the marks it
-- locked, instead of missing them while that submission is still open.
CREATE FUNCTION iamis_unit_wait_for_submissions(unit bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('iamis.unit_structure'), unit::integer);
END
$$;

CREATE FUNCTION iamis_mark_submitting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(
        hashtext('iamis.unit_structure'), NEW.unit_id::integer
    );
    RETURN NEW;
END
$$;
CREATE TRIGGER iamis_mark_submitting BEFORE UPDATE ON iamis_mark
    FOR EACH ROW WHEN (NEW.is_locked AND NOT OLD.is_locked)
    EXECUTE FUNCTION iamis_mark_submitting();
CREATE TRIGGER iamis_mark_submitted_on_insert BEFORE INSERT ON iamis_mark
    FOR EACH ROW WHEN (NEW.is_locked)
    EXECUTE FUNCTION iamis_mark_submitting();

CREATE FUNCTION iamis_task_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM iamis_unit_wait_for_submissions(NEW.unit_id);
        IF iamis_unit_marks_submitted(NEW.unit_id) THEN
            RAISE EXCEPTION 'unit % has submitted marks: no task can be added',
                NEW.unit_id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM iamis_unit_wait_for_submissions(OLD.unit_id);
        IF iamis_unit_marks_submitted(OLD.unit_id) THEN
            RAISE EXCEPTION 'unit % has submitted marks: task % cannot be removed',
                OLD.unit_id, OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF (NEW.unit_id, NEW.number, NEW.max_mark)
        IS DISTINCT FROM (OLD.unit_id, OLD.number, OLD.max_mark) THEN
        PERFORM iamis_unit_wait_for_submissions(OLD.unit_id);
        PERFORM iamis_unit_wait_for_submissions(NEW.unit_id);
        IF iamis_unit_marks_submitted(OLD.unit_id)
            OR iamis_unit_marks_submitted(NEW.unit_id) THEN
            RAISE EXCEPTION 'unit % has submitted marks: task % cannot be changed',
                OLD.unit_id, OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.max_mark < OLD.max_mark AND EXISTS (
            SELECT 1 FROM iamis_mark
            WHERE unit_id = OLD.unit_id
                AND (task_marks ->> OLD.number::text)::numeric > NEW.max_mark
        ) THEN
            RAISE EXCEPTION 'task % has saved marks above %', OLD.id, NEW.max_mark
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER iamis_task_guard BEFORE INSERT OR UPDATE OR DELETE ON iamis_task
    FOR EACH ROW EXECUTE FUNCTION iamis_task_guard();

CREATE FUNCTION iamis_unit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.grade_scale, NEW.assessment)
        IS DISTINCT FROM (OLD.grade_scale, OLD.assessment) THEN
        PERFORM iamis_unit_wait_for_submissions(OLD.id);
        IF iamis_unit_marks_submitted(OLD.id) THEN
            RAISE EXCEPTION 'unit % has submitted marks: its grade scale cannot change',
                OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER iamis_unit_guard BEFORE UPDATE ON iamis_unit
    FOR EACH ROW EXECUTE FUNCTION iamis_unit_guard();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS iamis_mark_submitted_on_insert ON iamis_mark;
DROP TRIGGER IF EXISTS iamis_mark_submitting ON iamis_mark;
DROP FUNCTION IF EXISTS iamis_mark_submitting();
DROP TRIGGER IF EXISTS iamis_unit_guard ON iamis_unit;
DROP FUNCTION IF EXISTS iamis_unit_guard();
DROP TRIGGER IF EXISTS iamis_task_guard ON iamis_task;
DROP FUNCTION IF EXISTS iamis_task_guard();
DROP FUNCTION IF EXISTS iamis_unit_wait_for_submissions(bigint);
DROP FUNCTION IF EXISTS iamis_unit_marks_submitted(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("iamis", "0005_retention")]

    operations = [PostgresSQL(FORWARDS, BACKWARDS)]
