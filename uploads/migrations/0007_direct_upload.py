"""Direct uploads to object storage (uploads/direct.py): an upload session may be an S3
multipart upload the browser sends its parts to, and an evidence file may be recorded
before its SHA-256, which its scan task computes. PostgreSQL's guard (migration 0004)
lets that SHA-256 be set once, from empty to a digest; nothing else about it changes.
"""

from django.db import migrations, models

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE OR REPLACE FUNCTION uploads_evidence_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- A file uploaded straight to object storage gets its SHA-256 once, from the
    -- worker that read it; after that it never changes.
    IF (NEW.public_id, NEW.centre_id, NEW.unit_id, NEW.entry_id, NEW.kind, NEW.size,
        NEW.storage_key, NEW.uploaded_by_id, NEW.uploaded_at)
        IS DISTINCT FROM
       (OLD.public_id, OLD.centre_id, OLD.unit_id, OLD.entry_id, OLD.kind, OLD.size,
        OLD.storage_key, OLD.uploaded_by_id, OLD.uploaded_at)
        OR (NEW.sha256 IS DISTINCT FROM OLD.sha256
            AND NOT (OLD.sha256 = '' AND NEW.sha256 ~ '^[0-9a-f]{64}$')) THEN
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
"""

BACKWARDS = """
CREATE OR REPLACE FUNCTION uploads_evidence_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [
        ("uploads", "0006_scan_verdict_guard"),
    ]

    operations = [
        migrations.AddField(
            model_name="uploadsession",
            name="multipart_id",
            field=models.CharField(blank=True, max_length=1024),
        ),
        migrations.AddField(
            model_name="uploadsession",
            name="object_key",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="evidencefile",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="SHA-256"),
        ),
        PostgresSQL(FORWARDS, BACKWARDS),
    ]
