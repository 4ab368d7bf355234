import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';

/**
 * Signed QR payloads. A ticket's QR carries its id, event id and code, signed with the
 * installation's active Ed25519 key, so a scanner holding only the public keys
 * (GET /events/:id/checkin/key) can tell a real ticket from a forged one offline:
 *
 *   OS1.<keyId>.<ticketId>.<eventId>.<code>.<signature>
 *
 * The signature (base64url, 64 bytes) covers every character before its dot. No field contains a
 * dot (key ids and signatures are base64url, ids are UUIDs, codes Crockford base32).
 */
export const qrVersion = 'OS1';

export interface SignedTicket {
  id: string;
  eventId: string;
  code: string;
}

export interface PublicKeyView {
  id: string;
  algorithm: 'Ed25519';
  /** The raw 32-byte public key, base64url (a JWK's `x`). */
  publicKey: string;
  active: boolean;
  createdAt: Date;
}

export interface TicketSigner {
  /** The QR payload of each ticket, signed with the active key (created on first use). */
  sign(tickets: readonly SignedTicket[]): Promise<string[]>;
  /** The ticket a payload names, if its signature verifies with one of the stored keys; 400 `invalid_ticket_signature` otherwise. */
  verify(payload: string): Promise<SignedTicket & { keyId: string }>;
  /** Every key's public half, the active one first. */
  publicKeys(): Promise<PublicKeyView[]>;
  /** The active key's id (created on first use). */
  activeKeyId(): Promise<string>;
  /** Retires the active key (it still verifies) and makes a new one that signs from now on. */
  rotate(): Promise<PublicKeyView>;
}

interface KeyRow {
  id: string;
  publicKey: string;
  privateKey: string;
  active: boolean;
  createdAt: Date;
}

const keyColumns = 'id, public_key as "publicKey", private_key as "privateKey", active, created_at as "createdAt"';

const invalidSignature = () => new AppError('invalid_ticket_signature', 'This QR code is not a ticket signed by this installation.');

function newKeyRow(): Omit<KeyRow, 'active' | 'createdAt'> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    id: randomBytes(8).toString('base64url'),
    publicKey: publicKey.export({ format: 'jwk' }).x!,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
}

/** A public key from its raw base64url form: all a scanner needs to check a payload. */
export const publicKeyFromRaw = (raw: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });

/** Splits a payload and checks its signature with `publicKey`; undefined when it is malformed or does not verify. */
export function verifyPayload(payload: string, publicKeyFor: (keyId: string) => KeyObject | undefined): (SignedTicket & { keyId: string }) | undefined {
  const parts = payload.split('.');
  if (parts.length !== 6 || parts[0] !== qrVersion) return undefined;
  const [, keyId, id, eventId, code, signature] = parts as [string, string, string, string, string, string];
  const key = publicKeyFor(keyId);
  if (!key) return undefined;
  const bytes = Buffer.from(signature, 'base64url');
  // Base64url decoding ignores stray characters and trailing bits: one payload, one spelling.
  if (bytes.length !== 64 || bytes.toString('base64url') !== signature) return undefined;
  const signed = payload.slice(0, payload.lastIndexOf('.'));
  const ok = verify(null, Buffer.from(signed), key, bytes);
  return ok ? { keyId, id, eventId, code } : undefined;
}

const insertKey = (db: Queryable, key: Omit<KeyRow, 'active' | 'createdAt'>) => db.query<KeyRow>(
  `insert into ticket_signing_keys (id, public_key, private_key) values ($1, $2, $3)
   on conflict (active) where active do nothing returning ${keyColumns}`,
  [key.id, key.publicKey, key.privateKey],
);

export function createTicketSigner(db: Database): TicketSigner {
  // Private key objects by id: a key never changes once stored, and only the active one signs.
  const privateKeys = new Map<string, KeyObject>();

  const loadActive = async (): Promise<KeyRow> => {
    const found = await db.query<KeyRow>(`select ${keyColumns} from ticket_signing_keys where active`);
    if (found.rows[0]) return found.rows[0];
    // Two nodes may get here at once: the unique index keeps one key, and both sign with it.
    const inserted = await insertKey(db, newKeyRow());
    return inserted.rows[0] ?? (await db.query<KeyRow>(`select ${keyColumns} from ticket_signing_keys where active`)).rows[0]!;
  };

  const privateKeyOf = (row: KeyRow) => {
    let key = privateKeys.get(row.id);
    if (!key) privateKeys.set(row.id, (key = createPrivateKey({ key: Buffer.from(row.privateKey, 'base64'), format: 'der', type: 'pkcs8' })));
    return key;
  };

  // Read each time, not cached: a key an operator deleted (docs/checkin.md, rotation) stops verifying on every node at once.
  const publicKeyOf = async (keyId: string): Promise<KeyObject | undefined> => {
    const { rows } = await db.query<{ publicKey: string }>('select public_key as "publicKey" from ticket_signing_keys where id = $1', [keyId]);
    return rows[0] && publicKeyFromRaw(rows[0].publicKey);
  };

  const view = ({ privateKey: _, ...row }: KeyRow): PublicKeyView => ({ ...row, algorithm: 'Ed25519', createdAt: new Date(row.createdAt) });

  return {
    async sign(tickets) {
      if (tickets.length === 0) return [];
      const row = await loadActive();
      const key = privateKeyOf(row);
      return tickets.map((t) => {
        const signed = [qrVersion, row.id, t.id, t.eventId, t.code].join('.');
        return `${signed}.${sign(null, Buffer.from(signed), key).toString('base64url')}`;
      });
    },
    async verify(payload) {
      const keyId = payload.split('.')[1];
      const key = keyId === undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(keyId) ? undefined : await publicKeyOf(keyId);
      const ticket = key && verifyPayload(payload, () => key);
      if (!ticket) throw invalidSignature();
      return ticket;
    },
    async publicKeys() {
      await loadActive();
      const { rows } = await db.query<KeyRow>(`select ${keyColumns} from ticket_signing_keys order by active desc, created_at desc`);
      return rows.map(view);
    },
    activeKeyId: async () => (await loadActive()).id,
    async rotate() {
      return db.transaction(async (tx) => {
        await tx.query('update ticket_signing_keys set active = false, retired_at = now() where active');
        return view((await insertKey(tx, newKeyRow())).rows[0]!);
      });
    },
  };
}
