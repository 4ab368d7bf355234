import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../errors.js';

/**
 * Queue tokens: what a place in line is, signed so nobody can mint or alter one. HMAC-SHA256 with
 * node:crypto costs microseconds; a JWT library on this path would cost ten times more.
 * Layout: base64url(payload).base64url(mac), payload = event uuid (16 bytes) | user uuid (16) |
 * seq (uint64) | issuedAt ms (uint64), 48 bytes.
 */
export interface QueuePlace {
  eventId: string;
  userId: string;
  seq: number;
  issuedAt: number;
}

export interface QueueTokens {
  sign(place: QueuePlace): string;
  /** Returns the place, or throws 401 `invalid_queue_token` for anything not signed by us. */
  verify(token: string): QueuePlace;
}

const payloadBytes = 48;
const tokenPattern = /^[A-Za-z0-9_-]{64}\.[A-Za-z0-9_-]{43}$/;

const uuidToBytes = (uuid: string) => Buffer.from(uuid.replaceAll('-', ''), 'hex');
const bytesToUuid = (bytes: Buffer) => {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

const invalid = () => new AppError('invalid_queue_token', 'The queue token is not valid; join the queue to get one.');

export function createQueueTokens(secret: string): QueueTokens {
  const mac = (payload: Buffer) => createHmac('sha256', secret).update(payload).digest();
  return {
    sign({ eventId, userId, seq, issuedAt }) {
      const payload = Buffer.alloc(payloadBytes);
      uuidToBytes(eventId).copy(payload, 0);
      uuidToBytes(userId).copy(payload, 16);
      payload.writeBigUInt64BE(BigInt(seq), 32);
      payload.writeBigUInt64BE(BigInt(issuedAt), 40);
      return `${payload.toString('base64url')}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      if (typeof token !== 'string' || !tokenPattern.test(token)) throw invalid();
      const [body, signature] = token.split('.') as [string, string];
      const payload = Buffer.from(body, 'base64url');
      // Compared as text: two base64url spellings can decode to the same bytes (the last character's spare bits).
      const expected = Buffer.from(mac(payload).toString('base64url'));
      if (payload.length !== payloadBytes || !timingSafeEqual(Buffer.from(signature), expected)) throw invalid();
      return {
        eventId: bytesToUuid(payload.subarray(0, 16)),
        userId: bytesToUuid(payload.subarray(16, 32)),
        seq: Number(payload.readBigUInt64BE(32)),
        issuedAt: Number(payload.readBigUInt64BE(40)),
      };
    },
  };
}
