import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { AppError } from '../../errors.js';
import { uuidPattern } from '../../http/schemas.js';
import { limits } from '../../limits.js';

export type Role = 'buyer' | 'admin';

export interface Principal {
  userId: string;
  role: Role;
}

export interface AccessTokens {
  sign(principal: Principal): string;
  /** Returns the principal, or throws 401 `invalid_token` for a forged, expired or malformed token. */
  verify(token: string): Principal;
}

const issuer = 'onsale';
const audience = 'onsale-api';

interface AccessClaims {
  sub?: unknown;
  role?: unknown;
  typ?: unknown;
  iat?: unknown;
}

/** Issued no later than now (give or take the clock skew between nodes). */
const issuedInThePast = (iat: unknown) => typeof iat === 'number' && iat <= Date.now() / 1000 + limits.accessTokenClockSkewSecondsMax;

/**
 * Short-lived HS256 access tokens. fast-jwt verifies ~90k/s, so checking one per request is cheap.
 * A token is good for at most `ttlSeconds` after its `iat`, whatever its `exp` says, and both claims
 * must be present: a token minted without them (a leaked key, a bug) would otherwise never lapse.
 */
export function createAccessTokens(secret: string, ttlSeconds: number): AccessTokens {
  const signer = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000, iss: issuer, aud: audience });
  const verifier = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: issuer,
    allowedAud: audience,
    requiredClaims: ['exp', 'iat'],
    maxAge: ttlSeconds * 1000,
    cache: 10_000,
  });
  const invalid = () => new AppError('invalid_token', 'The access token is invalid or has expired.');
  return {
    sign: ({ userId, role }) => signer({ sub: userId, role, typ: 'access' }),
    verify(token) {
      let claims: AccessClaims;
      try {
        claims = verifier(token);
      } catch {
        throw invalid();
      }
      const { sub, role, typ, iat } = claims;
      if (typeof sub !== 'string' || !uuidPattern.test(sub) || (role !== 'buyer' && role !== 'admin') || typ !== 'access' || !issuedInThePast(iat)) throw invalid();
      return { userId: sub, role };
    },
  };
}

/** Refresh tokens and live tickets are opaque random strings; only their SHA-256 is stored. */
export const newOpaqueToken = (): string => randomBytes(32).toString('base64url');
export const hashOpaqueToken = (token: string): string => createHash('sha256').update(token).digest('hex');
