-- The inventory's three busiest references are no longer foreign keys. A foreign key is checked by
-- a trigger per inserted row, which also locks the referenced row (FOR KEY SHARE): for the rows a
-- batch of CloudTrail events writes, that was a quarter of the resource upsert and a third of the
-- tag-history insert. Nothing needs the check: these columns are written only by set-based
-- statements that take the ids from rows the same transaction has just written or read, and
-- teams, principals and resources are never deleted (a deleted resource is marked, not removed).
-- A test holds the store to it (test/integration/inventory-references.test.ts).
ALTER TABLE resources DROP CONSTRAINT resources_owner_team_id_fkey;
ALTER TABLE resources DROP CONSTRAINT resources_created_by_principal_id_fkey;
ALTER TABLE resource_tag_changes DROP CONSTRAINT resource_tag_changes_resource_id_fkey;
