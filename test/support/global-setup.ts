import { migrate } from '../../src/db/migrate';
import { adminQuery, databaseUrl } from './postgres';

/** Builds the migrated template database that each test file copies (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  const name = `govgraph_test_template_${process.pid}`;
  process.env.GOVGRAPH_TEST_TEMPLATE_DB = name; // inherited by the test workers
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await migrate(databaseUrl(name));
}
