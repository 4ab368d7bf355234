import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { createPasswordHasher } from '../features/auth/passwords.js';
import { createAccessTokens } from '../features/auth/tokens.js';
import { openTestPostgres } from '../../test/support/postgres.js';
import { seedBuyers } from './buyers.js';

describe('seedBuyers (onsale seed-buyers)', () => {
  let database: { db: Database; drop(): Promise<void> };
  beforeAll(async () => {
    database = await openTestPostgres(2);
  });
  afterAll(() => database?.drop());

  it('creates the accounts in bulk with one shared hash, each with an access token that names it', async () => {
    const accessTokens = createAccessTokens('seed-buyers-test-secret-0123456789abcdef', 600);
    const buyers = await seedBuyers(database.db, { passwords: createPasswordHasher(1024), accessTokens }, { count: 5_003, emailPrefix: 'load' });
    expect(buyers).toHaveLength(5_003);
    expect(buyers.map((b) => accessTokens.verify(b.accessToken))).toEqual(buyers.map((b) => ({ userId: b.userId, role: 'buyer' })));
    const { rows } = await database.db.query<{ accounts: number; hashes: number; last: string }>(
      `select count(*)::int as accounts, count(distinct password_hash)::int as hashes, max(email) filter (where name = 'Simulated buyer 5002') as last
         from users where email like 'load-%'`);
    expect(rows[0]).toEqual({ accounts: 5_003, hashes: 1, last: 'load-5002@simulate.invalid' });
  });
});
