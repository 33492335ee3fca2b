"""PostgreSQL keeps audit events append-only (issue 9): no DELETE, no UPDATE, except
that removing an account or a centre may blank the link to it (the e-mail address and
everything else stay as recorded)."""

from django.db import migrations

from common.db_rules import PostgresSQL

FORWARDS = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND (NEW.id, NEW.at, NEW.actor_email, NEW.action, NEW.target, NEW.ip_address,
             NEW.detail)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.actor_email, OLD.action, OLD.target, OLD.ip_address,
             OLD.detail)
        AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
        AND (NEW.centre_id IS NULL OR NEW.centre_id IS NOT DISTINCT FROM OLD.centre_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% of event %)', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""

BACKWARDS = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_alter_auditevent_action")]

    operations = [PostgresSQL(FORWARDS, BACKWARDS)]
