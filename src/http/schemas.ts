import { Type, type TObject, type TProperties, type ObjectOptions, type TSchema } from '@sinclair/typebox';
import { errorCatalogue, type ErrorCode } from '../errors.js';
import { limits } from '../limits.js';

/** An object that rejects properties it does not declare (bodies, query strings). */
export const StrictObject = <T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...options });

/**
 * A UUID as this API writes it: lower-case, hyphenated. Other spellings PostgreSQL would accept
 * (upper case, braces, no hyphens) are refused with 400, so an id is compared as text safely everywhere.
 */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const Uuid = Type.String({ format: 'uuid', pattern: uuidPattern.source, description: 'UUID, lower case' });
export const IdParams = StrictObject({ id: Uuid });
export const Text = (options: { maxLength?: number; minLength?: number } = {}) =>
  Type.String({ minLength: options.minLength ?? 1, maxLength: options.maxLength ?? limits.textLengthMax });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
/** A timestamp in a response: handlers may return a Date, serialized as ISO-8601. */
export const TimestampOut = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', description: 'ISO-8601 UTC' });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
export const MinorUnits = Type.Integer({ minimum: 0, maximum: limits.priceMinorMax, description: 'Money in integer minor units' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * One of the catalogue's codes. Declared as a plain string enum (not a union of literals) so the
 * response serializer writes it without trying each branch, while clients still get the union.
 */
export const ErrorCodeSchema = Type.Unsafe<ErrorCode>(
  Type.String({ enum: Object.keys(errorCatalogue), description: 'The error catalogue (docs/errors.md)' }),
);

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: ErrorCodeSchema,
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error has this shape; branch on `code`.' },
);

/** Error responses a route documents, by status. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, Type.Ref(ErrorResponse)]));

export const BearerAuth = [{ bearerAuth: [] }];
