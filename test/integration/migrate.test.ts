import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { migrate, readMigrations } from '../../src/db/migrate';
import { adminQuery, databaseUrl } from '../support/postgres';

describe('govgraph migrate', () => {
  const name = `govgraph_test_migrate_${process.pid}_${Date.now()}`;
  const url = databaseUrl(name);
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

  it('creates a missing database, applies every migration once, and is a no-op when current', async () => {
    // Arrange
    const migrations = await readMigrations();

    // Act
    const first = await migrate(url);
    const second = await migrate(url);

    // Assert
    expect(first.createdDatabase).toBe(true);
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.map((m) => m.name), createdDatabase: false });
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations');
    await client.end();
    // Prisma's own history format: lowercase hex SHA-256 of the file, one finished row per migration.
    expect(rows).toHaveLength(migrations.length);
    for (const m of migrations) {
      const file = readFileSync(`prisma/migrations/${m.name}/migration.sql`);
      const row = rows.find((r) => r.migration_name === m.name);
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('refuses to go on when an applied migration was edited afterwards', async () => {
    // Arrange
    await migrate(url);
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query("UPDATE _prisma_migrations SET checksum = repeat('0', 64)");
    await client.end();

    // Act / Assert
    await expect(migrate(url)).rejects.toThrow(/was changed after it was applied/);
  });
});
