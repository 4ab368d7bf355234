import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import type { Caller, OrgRole } from './access.js';
import { hashOpaqueToken } from './tokens.js';

/**
 * Organizations' API keys: `onsk_` and 43 random characters, so secret scanners can recognize one.
 * Only the SHA-256 is stored; the key is shown once, when it is made.
 */
export const apiKeyPrefix = 'onsk_';
const shownPrefixLength = apiKeyPrefix.length + 6;

export interface ApiKey {
  id: string;
  name: string;
  role: OrgRole;
  /** The key's first characters, to tell keys apart in a list. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeys {
  /** The key's caller; 401 `invalid_token` for an unknown or revoked key. */
  verify(key: string): Promise<Extract<Caller, { kind: 'apiKey' }>>;
  create(organizationId: string, input: { name: string; role: OrgRole }, createdBy: string | null): Promise<ApiKey & { key: string }>;
  list(organizationId: string): Promise<ApiKey[]>;
  /** Revokes at once (the next request with it gets 401); 404 for a key of another organization. */
  revoke(organizationId: string, keyId: string): Promise<void>;
}

const keyColumns = 'id, name, role, key_prefix as prefix, created_at as "createdAt", last_used_at as "lastUsedAt", revoked_at as "revokedAt"';

export function createApiKeys(db: Queryable): ApiKeys {
  return {
    async verify(key) {
      // lastUsedAt is written only when it is older than the interval: a key used on every request
      // costs one write a minute (conditional, so concurrent requests write it once).
      const { rows } = await db.query<{ id: string; organizationId: string; role: OrgRole }>(
        `with found as (select id, organization_id, role, last_used_at from api_keys where key_hash = $1 and revoked_at is null),
              touched as (update api_keys k set last_used_at = now() from found
                           where k.id = found.id and (found.last_used_at is null or found.last_used_at < now() - make_interval(secs => $2)))
         select id, organization_id as "organizationId", role from found`,
        [hashOpaqueToken(key), limits.apiKeyLastUsedWriteIntervalSeconds],
      );
      const found = rows[0];
      if (!found) throw new AppError('invalid_token', 'This API key is unknown or was revoked.');
      return { kind: 'apiKey', keyId: found.id, organizationId: found.organizationId, role: found.role };
    },

    async create(organizationId, { name, role }, createdBy) {
      const key = apiKeyPrefix + randomBytes(32).toString('base64url');
      const { rows } = await db.query<ApiKey>(
        `insert into api_keys (organization_id, name, role, key_prefix, key_hash, created_by) values ($1, $2, $3, $4, $5, $6) returning ${keyColumns}`,
        [organizationId, name, role, key.slice(0, shownPrefixLength), hashOpaqueToken(key), createdBy],
      );
      return { ...rows[0]!, key };
    },

    list: async (organizationId) => (await db.query<ApiKey>(
      `select ${keyColumns} from api_keys where organization_id = $1 order by created_at desc, id limit $2`,
      [organizationId, limits.apiKeysListedMax],
    )).rows,

    async revoke(organizationId, keyId) {
      const { rowCount } = await db.query(
        'update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and organization_id = $2',
        [keyId, organizationId],
      );
      if (rowCount === 0) throw notFound('API key');
    },
  };
}
