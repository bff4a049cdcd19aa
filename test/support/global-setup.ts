import { migrate } from '../../src/db/migrate';
import { adminQuery, databaseUrl, TEMPLATE_DB } from './postgres';

/** Builds the migrated template database that each test file copies (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await migrate(databaseUrl(TEMPLATE_DB));
}
