"""The ledger is append-only: the database itself refuses to change or delete a row."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION credit_transaction_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_transaction is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER credit_transaction_append_only BEFORE UPDATE OR DELETE ON credit_transaction
    FOR EACH ROW EXECUTE FUNCTION credit_transaction_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS credit_transaction_append_only ON credit_transaction;
DROP FUNCTION IF EXISTS credit_transaction_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
