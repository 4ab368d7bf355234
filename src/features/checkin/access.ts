import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { bearerToken, callerOf, type Guards } from '../auth/guard.js';

/** Who is scanning: a check-in device of the event, a person of its team, or its organization's API key. */
export type Scanner =
  | { kind: 'device'; deviceId: string; name: string }
  | { kind: 'staff'; userId: string }
  | { kind: 'apiKey'; keyId: string };

/** Device tokens are opaque (`osd_…`); access tokens are JWTs. Nothing else reads device tokens. */
export const deviceTokenPrefix = 'osd_';

export interface CheckinAccess {
  guards: Guards;
  access: Access;
  deviceByToken(token: string): Promise<{ id: string; name: string; eventId: string } | undefined>;
}

/**
 * The one place that decides who may scan for an event and download its list, in two steps.
 * `identifyScanner` (onRequest, before the body is read): a live check-in device of that event
 * (401 with a revoked or unknown token, 403 for a device of another event; the id is compared as
 * text, so one that is not a UUID names no device's event), or else an authenticated caller.
 * `authorizeScanner` (preHandler, the id validated): that caller's role in the event's organization
 * must allow check-in (features/auth/access.ts: 404 for another organization's event, 403 for a
 * role that may not). Returns the device's scanner from the first step, the caller's from the second.
 */
export async function identifyScanner(request: FastifyRequest, eventId: string, { guards, deviceByToken }: CheckinAccess): Promise<Scanner | null> {
  const token = bearerToken(request);
  if (token?.startsWith(deviceTokenPrefix)) {
    const device = await deviceByToken(token);
    if (!device) throw new AppError('invalid_token', 'This device token is unknown or was revoked.');
    if (device.eventId !== eventId) throw new AppError('forbidden', 'This device checks in another event.');
    return { kind: 'device', deviceId: device.id, name: device.name };
  }
  await guards.authenticateCaller(request);
  return null;
}

export async function authorizeScanner(request: FastifyRequest, eventId: string, identified: Scanner | null, { access }: CheckinAccess): Promise<Scanner> {
  if (identified) return identified;
  const caller = callerOf(request);
  await access.require(caller, 'checkin.scan', { event: eventId });
  return caller.kind === 'user' ? { kind: 'staff', userId: caller.userId } : { kind: 'apiKey', keyId: caller.keyId };
}
