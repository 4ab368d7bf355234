import { readFile } from 'node:fs/promises';
import pg from 'pg';

/**
 * Loads test/fixtures/previous-release.sql (a dump of a database with data, at the previous release's
 * schema) into the database at `url`. The dump's SET statements are per session: it runs on a
 * connection of its own.
 */
export async function loadPreviousRelease(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(await readFile(new URL('../fixtures/previous-release.sql', import.meta.url), 'utf8'));
  } finally {
    await client.end();
  }
}
