import { adminQuery } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.GOVGRAPH_TEST_TEMPLATE_DB;
  if (name) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
