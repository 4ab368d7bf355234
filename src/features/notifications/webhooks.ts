import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { checkHostSpelling, hostOf, publicOnlyLookup, type Resolver } from './webhook-targets.js';

/** The header a receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const signatureHeader = 'onsale-signature';

const hmac = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver runs on the raw request body: true only if the signature was made with `secret`
 * over this exact body, less than `toleranceSeconds` ago (an old, replayed request fails).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(timestamp) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(hmac(secret, timestamp, body), 'hex'));
}

export interface PostOptions {
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: send to loopback and private addresses too (development, tests, on-premises receivers). */
  allowPrivate: boolean;
  resolver?: Resolver;
}

/**
 * POSTs one signed delivery; resolves on a 2xx answer, throws (with the reason) otherwise. A redirect
 * is an answer like any other non-2xx: it is never followed. Unless private targets are allowed, the
 * host is checked as spelled, and a name is resolved by publicOnlyLookup, so the socket connects only
 * to an address that passed the check.
 */
export async function postWebhook(url: string, secret: string, eventId: string, body: string, { timeoutMs, allowPrivate, resolver }: PostOptions): Promise<void> {
  const target = new URL(url);
  if (!allowPrivate) checkHostSpelling(hostOf(target));
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'onsale-event-id': eventId, [signatureHeader]: signWebhook(secret, body) },
      ...(allowPrivate ? {} : { lookup: publicOnlyLookup(resolver) }),
    });
    const timer = setTimeout(() => request.destroy(new Error(`webhook did not answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.on('response', (response) => {
      clearTimeout(timer);
      // Only the status matters; the body is not read, so a receiver cannot hold the connection open.
      response.destroy();
      if (response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode <= 299) resolve();
      else reject(new Error(`webhook answered ${response.statusCode}`));
    });
    request.end(body);
  });
}
