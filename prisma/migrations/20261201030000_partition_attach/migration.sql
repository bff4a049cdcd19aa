-- A new month's partition is made apart and then attached. CREATE TABLE … PARTITION OF locks the
-- whole audit_events table exclusively: it waits for every open batch, and every reader queues
-- behind it. One ingestion's uncommitted batch waiting for its own rule evaluation, which reads
-- audit_events, then stalls with another ingestion making a partition, and Postgres cannot see
-- the cycle because one wait is in the client. ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on
-- audit_events, which no write or read conflicts with, and ACCESS EXCLUSIVE only on the new table
-- and on the default partition, which batches do not write. The lock timeout bounds the wait for
-- a reader of the default partition: the caller tries again (src/ingest/cloudtrail-load.ts).
CREATE OR REPLACE FUNCTION ensure_audit_event_partition(month_start date) RETURNS void
LANGUAGE plpgsql SET lock_timeout = '5s' AS $$
DECLARE
  part_name text := format('audit_events_%s', to_char(month_start, 'YYYY_MM'));
  moved int;
BEGIN
  IF to_regclass(part_name) IS NOT NULL THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ensure_audit_event_partition'));
  IF to_regclass(part_name) IS NOT NULL THEN RETURN; END IF;
  -- Rows of that month already in the default partition would block the new partition.
  SELECT count(*) INTO moved FROM audit_events_default
   WHERE event_time >= month_start AND event_time < (month_start + interval '1 month');
  IF moved > 0 THEN
    RAISE NOTICE 'audit_events_default holds % rows for %; they stay there', moved, month_start;
    RETURN;
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE %I (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part_name);
    -- the indexes, the primary key and the row triggers of audit_events come with the attach
    EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   part_name, month_start, (month_start + interval '1 month')::date);
    -- TRUNCATE of a partition itself does not fire the parent's statement trigger.
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change()',
                   part_name || '_no_truncate', part_name);
  EXCEPTION WHEN duplicate_table THEN
    NULL; -- made by a concurrent writer, with its trigger, in one transaction
  END;
END $$;
