import type { Queryable } from '../../src/db/database.js';

export interface ProviderRecord {
  reference: string;
  idempotencyKey: string;
  amount: number;
  state: 'declined' | 'authorized' | 'captured' | 'voided' | 'refunded';
  refunded: number;
}

/** The sandbox provider's own books, by reference: what the provider says happened to each charge. */
export async function providerRecords(db: Queryable): Promise<Map<string, ProviderRecord>> {
  const { rows } = await db.query<ProviderRecord>(
    'select reference, idempotency_key as "idempotencyKey", amount, state, refunded from sandbox_payments order by created_at, reference',
  );
  return new Map(rows.map((r) => [r.reference, r]));
}
