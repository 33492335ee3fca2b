"""PostgreSQL refuses to delete evidence files past their cutoff (issue 9).

The cutoff is worked out as `uploads.services.rules.deletion_cutoff` does: the unit's
sample deadline (to the end of that day in Wales) where the unit uses it, otherwise
`deletion_days` after the sample's submission. A file locked by the beat task, or past
that cutoff, cannot be marked deleted; a deleted or locked file stays so; what identifies
the stored bytes never changes; rows are never removed, except by the retention command
(common.db_rules.RETENTION).
"""

from django.db import migrations

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE FUNCTION uploads_evidence_cutoff(centre bigint, unit bigint)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN u.deletion_policy = 'sample_deadline' AND u.sample_deadline IS NOT NULL
            THEN ((u.sample_deadline + 1)::timestamp AT TIME ZONE 'Europe/London')
        ELSE s.submitted_at + make_interval(days => u.deletion_days)
    END
    FROM sampling_sample sm
    JOIN iamis_submission s ON s.id = sm.submission_id
    JOIN iamis_unit u ON u.id = sm.unit_id
    WHERE sm.centre_id = centre AND sm.unit_id = unit
$$;

CREATE FUNCTION uploads_evidence_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF coalesce(current_setting('iamis.retention', true), '') <> 'on' THEN
            RAISE EXCEPTION 'evidence file % cannot be removed', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF (NEW.public_id, NEW.centre_id, NEW.unit_id, NEW.entry_id, NEW.kind, NEW.size,
        NEW.sha256, NEW.storage_key, NEW.uploaded_by_id, NEW.uploaded_at)
        IS DISTINCT FROM
       (OLD.public_id, OLD.centre_id, OLD.unit_id, OLD.entry_id, OLD.kind, OLD.size,
        OLD.sha256, OLD.storage_key, OLD.uploaded_by_id, OLD.uploaded_at) THEN
        RAISE EXCEPTION 'evidence file % keeps what identifies its bytes', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS DISTINCT FROM OLD.deleted_at)
        OR (OLD.locked_at IS NOT NULL AND NEW.locked_at IS DISTINCT FROM OLD.locked_at)
    THEN
        RAISE EXCEPTION 'evidence file % stays deleted or locked', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
        cutoff := uploads_evidence_cutoff(OLD.centre_id, OLD.unit_id);
        IF OLD.locked_at IS NOT NULL OR NEW.locked_at IS NOT NULL
            OR (cutoff IS NOT NULL AND now() >= cutoff) THEN
            RAISE EXCEPTION 'evidence file % is past its deletion cutoff', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER uploads_evidence_guard BEFORE UPDATE OR DELETE ON uploads_evidencefile
    FOR EACH ROW EXECUTE FUNCTION uploads_evidence_guard();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS uploads_evidence_guard ON uploads_evidencefile;
DROP FUNCTION IF EXISTS uploads_evidence_guard();
DROP FUNCTION IF EXISTS uploads_evidence_cutoff(bigint, bigint);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("uploads", "0003_upload_hash_state"),
        ("sampling", "0001_initial"),
    ]

    operations = [PostgresSQL(FORWARDS, BACKWARDS)]
