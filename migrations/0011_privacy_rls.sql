-- Row-level security for the privacy tables (see 0003 for the policy).
SELECT integra_enable_tenant_rls('data_exports');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('erasure_requests');
--> statement-breakpoint
SELECT integra_enable_tenant_rls('erasure_receipts');
--> statement-breakpoint
-- A receipt is proof that an erasure happened: the application role adds receipts, never changes
-- or removes them.
REVOKE UPDATE, DELETE ON erasure_receipts FROM integra_app;
--> statement-breakpoint
-- Consent records stay immutable for the application role (0005). Erasure is the one path that
-- removes them, through this function: a whole tenant's only in operator mode (the audited
-- erasure job), one subject's (a connection) also in that tenant's own transaction. It returns
-- how many records it deleted, for the erasure receipt.
CREATE OR REPLACE FUNCTION privacy_erase_consents(p_tenant_id text, p_subject_id text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  deleted integer;
BEGIN
  IF NOT (current_setting('app.operator', true) = 'on'
          OR (p_subject_id IS NOT NULL AND current_setting('app.tenant_id', true) = p_tenant_id)) THEN
    RAISE EXCEPTION 'privacy_erase_consents: operator mode or the subject''s own tenant is required'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM consents
  WHERE tenant_id = p_tenant_id AND (p_subject_id IS NULL OR subject_id = p_subject_id);
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION privacy_erase_consents(text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION privacy_erase_consents(text, text) TO integra_app;
