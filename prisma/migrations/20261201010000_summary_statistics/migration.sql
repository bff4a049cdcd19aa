-- complianceSummary groups violations by team, rule, account and day (any subset). Postgres
-- assumes such columns independent and expects nearly one group per row, so it sorts every
-- violation before counting; these statistics tell it how many groups there are, so it counts
-- them in a hash table. Statistics cost nothing on insert: ANALYZE gathers them.
CREATE STATISTICS violations_summary_groups (ndistinct)
  ON account_id, team, rule_id, date_bin('1 day', event_time, timestamptz '2000-01-01T00:00:00Z')
  FROM violations;
