import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import type { PasswordHasher } from '../features/auth/passwords.js';
import type { AccessTokens } from '../features/auth/tokens.js';

export interface SeededBuyer {
  userId: string;
  accessToken: string;
}

/** Rows per insert statement: large enough to amortize round trips, small enough to keep one statement short. */
const seedBatchRows = 5_000;

/**
 * Creates `count` buyer accounts in bulk and signs an access token for each, for load tests such as
 * `onsale simulate`. Registering through the API would hash one password per account (argon2id, tens of
 * milliseconds each by design), which would dominate any measurement; here one hash of a random,
 * discarded password is computed once and shared, so nobody can log in as these accounts with a password,
 * and the tokens are the only way in. Emails are `<emailPrefix>-<n>@simulate.invalid`.
 */
export async function seedBuyers(
  db: Queryable,
  deps: { passwords: PasswordHasher; accessTokens: AccessTokens },
  options: { count: number; emailPrefix: string },
): Promise<SeededBuyer[]> {
  const passwordHash = await deps.passwords.hash(randomBytes(24).toString('base64url'));
  const buyers: SeededBuyer[] = [];
  for (let first = 0; first < options.count; first += seedBatchRows) {
    const rows = Math.min(seedBatchRows, options.count - first);
    const { rows: inserted } = await db.query<{ id: string }>(
      `insert into users (email, name, password_hash)
       select $1 || '-' || n || '@simulate.invalid', 'Simulated buyer ' || n, $2
         from generate_series($3::int, $4::int) as n
       returning id`,
      [options.emailPrefix, passwordHash, first, first + rows - 1],
    );
    for (const { id } of inserted) buyers.push({ userId: id, accessToken: deps.accessTokens.sign({ userId: id, role: 'buyer' }) });
  }
  return buyers;
}
