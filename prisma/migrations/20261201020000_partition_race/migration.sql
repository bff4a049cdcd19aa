-- Two writers asking for the same month at once: the second waits on the advisory lock, but its
-- catalog lookup does not see the partition the first has just committed, and CREATE TABLE fails.
-- Such a loser now takes the winner's partition.
CREATE OR REPLACE FUNCTION ensure_audit_event_partition(month_start date) RETURNS void
LANGUAGE plpgsql AS $$
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
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
                   part_name, month_start, (month_start + interval '1 month')::date);
    -- TRUNCATE of a partition itself does not fire the parent's statement trigger.
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change()',
                   part_name || '_no_truncate', part_name);
  EXCEPTION WHEN duplicate_table THEN
    NULL; -- made by a concurrent writer, with its trigger, in one transaction
  END;
END $$;
