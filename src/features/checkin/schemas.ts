import { Type } from '@sinclair/typebox';
import { Nullable, StrictObject, Text, Timestamp, TimestampOut, Uuid } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { qrVersion } from './signing.js';

/** A typed ticket code: Crockford base32 (either case), as issued. */
export const TicketCode = Type.String({ pattern: '^[0-9A-Za-z]{1,32}$', description: 'A ticket code as printed' });
/** A scanned QR payload: `OS1.<keyId>.<ticketId>.<eventId>.<code>.<signature>` (docs/checkin.md). */
export const QrPayload = Type.String({ minLength: 1, maxLength: limits.qrPayloadLengthMax, description: `A QR payload (${qrVersion}.…)` });
const Gate = Text();

export const PublicKeysSchema = Type.Object({
  keys: Type.Array(Type.Object({
    id: Type.String(),
    algorithm: Type.Literal('Ed25519'),
    publicKey: Type.String({ description: 'Raw 32-byte Ed25519 public key, base64url' }),
    active: Type.Boolean(),
    createdAt: TimestampOut,
  })),
});

export const DeviceBody = StrictObject({ name: Text() });
export const DeviceSchema = Type.Object({ id: Uuid, name: Type.String() });
export const NewDeviceSchema = Type.Object({ id: Uuid, name: Type.String(), deviceToken: Type.String({ description: 'Shown once: send it as "Authorization: Bearer <deviceToken>"' }) });

export const CheckinBody = StrictObject({ code: Type.Optional(TicketCode), qr: Type.Optional(QrPayload), gate: Type.Optional(Gate) });

const CheckinSchema = Type.Object({ id: Uuid, at: TimestampOut, gate: Nullable(Type.String()), device: Nullable(DeviceSchema) });
const ScannedTicketSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  section: Type.String(),
  seat: Type.Optional(Type.String()),
  attendeeName: Type.Optional(Type.String()),
});
export const CheckinOkSchema = Type.Object({ result: Type.Literal('ok'), checkin: CheckinSchema, ticket: ScannedTicketSchema });

export const CheckinListQuery = StrictObject({ cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'The cursor of the previous download' })) });
export const CheckinListSchema = Type.Object({
  cursor: Type.String(),
  keyId: Type.String({ description: 'The id of the key the tickets\' QR payloads are signed with' }),
  tickets: Type.Array(Type.Intersect([ScannedTicketSchema, Type.Object({ eventId: Uuid })])),
  checkins: Type.Array(Type.Intersect([CheckinSchema, Type.Object({ ticketId: Uuid, reverted: Type.Boolean() })])),
});

export const OfflineScanSchema = StrictObject({
  clientScanId: Type.String({ minLength: 1, maxLength: limits.clientScanIdLengthMax }),
  code: Type.Optional(TicketCode),
  qr: Type.Optional(QrPayload),
  scannedAt: Timestamp,
  gate: Type.Optional(Gate),
});
export const OfflineBatchBody = Type.Array(OfflineScanSchema, { minItems: 1, maxItems: limits.offlineScanBatchMax });
export const OfflineBatchSchema = Type.Object({
  results: Type.Array(Type.Object({
    clientScanId: Type.String(),
    result: Type.String({ description: '`ok`, or the error code of the refusal' }),
    checkin: Type.Optional(CheckinSchema),
    ticket: Type.Optional(ScannedTicketSchema),
    displaced: Type.Optional(CheckinSchema),
    message: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  })),
});

export const EntriesSchema = Type.Object({ items: Type.Array(Type.Object({ minute: TimestampOut, entries: Type.Integer() })) });
export const EntriesQuery = StrictObject({ minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.entriesWindowMinutesMax })) });
