-- Inventory rows are updated in place often (last seen, tags, owner): room on each page lets
-- Postgres make those HOT updates, with no new index entries.
ALTER TABLE resources SET (fillfactor = 80);
ALTER TABLE principals SET (fillfactor = 80);
