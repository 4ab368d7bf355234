import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { bearerToken, type Guards } from '../auth/guard.js';

/** Who is scanning: a check-in device of the event, or an admin. */
export type Scanner =
  | { kind: 'device'; deviceId: string; name: string }
  | { kind: 'admin'; userId: string };

/** Device tokens are opaque (`osd_…`); access tokens are JWTs. Nothing else reads device tokens. */
export const deviceTokenPrefix = 'osd_';

export interface CheckinAccess {
  guards: Guards;
  deviceByToken(token: string): Promise<{ id: string; name: string; eventId: string } | undefined>;
}

/**
 * The one place that decides who may scan for an event and download its list: an admin, or a live
 * check-in device of that event (401 without credentials or with a revoked or unknown token, 403
 * for a buyer or a device of another event). Roles (an organization's door staff) plug in here.
 */
export async function authorizeScanner(request: FastifyRequest, eventId: string, { guards, deviceByToken }: CheckinAccess): Promise<Scanner> {
  const token = bearerToken(request);
  if (token?.startsWith(deviceTokenPrefix)) {
    const device = await deviceByToken(token);
    if (!device) throw new AppError('invalid_token', 'This device token is unknown or was revoked.');
    if (device.eventId !== eventId) throw new AppError('forbidden', 'This device checks in another event.');
    return { kind: 'device', deviceId: device.id, name: device.name };
  }
  await guards.requireAdmin(request);
  return { kind: 'admin', userId: request.principal!.userId };
}
