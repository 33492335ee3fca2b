"""PostgreSQL keeps a virus-scan verdict once given (issue 9): a file found infected
cannot be turned "clean" by an UPDATE, whoever runs it; only a pending file gets a
verdict. A file that needs checking again is uploaded again."""

from django.db import migrations

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE FUNCTION uploads_evidence_verdict_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.scan_status <> 'pending'
        AND (NEW.scan_status, NEW.scan_detail, NEW.scanned_at)
            IS DISTINCT FROM (OLD.scan_status, OLD.scan_detail, OLD.scanned_at) THEN
        RAISE EXCEPTION 'evidence file % keeps its virus-scan verdict', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER uploads_evidence_verdict_guard BEFORE UPDATE ON uploads_evidencefile
    FOR EACH ROW EXECUTE FUNCTION uploads_evidence_verdict_guard();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS uploads_evidence_verdict_guard ON uploads_evidencefile;
DROP FUNCTION IF EXISTS uploads_evidence_verdict_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("uploads", "0005_evidence_scan")]

    operations = [PostgresSQL(FORWARDS, BACKWARDS)]
