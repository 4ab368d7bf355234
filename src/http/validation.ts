import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Two validators: bodies are checked strictly (no type coercion, unknown properties refused), while
 * query strings, path parameters and headers arrive as text and are coerced to the declared types.
 */
function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  addFormats.default(ajv);
  const rfc3339 = ajv.formats['date-time'] as { validate: (text: string) => boolean; compare: (a: string, b: string) => number | undefined };
  ajv.addFormat('date-time', { type: 'string', validate: (text: string) => rfc3339.validate(text) && storableInPostgres(text), compare: rfc3339.compare });
  return ajv;
}

/**
 * RFC 3339 allows what PostgreSQL's timestamptz refuses: year 0000, and UTC offsets past ±15:59. It
 * also allows a leap second (23:59:60), which PostgreSQL rolls over to the next minute but JavaScript
 * cannot read, so it escaped every check made in JavaScript (an event ending after it starts). Refused
 * here, each is a 400 rather than a failed query.
 */
const storableInPostgres = (dateTime: string) =>
  !dateTime.startsWith('0000') && !/[+-](1[6-9]|2\d):\d\d$/.test(dateTime) && Number.isFinite(Date.parse(dateTime));

/** Where the first string holding U+0000 is, as a JSON pointer; PostgreSQL text cannot store that character. */
export function nulCharacterAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nulCharacterAt(item, `${path}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv('array' as unknown as boolean);
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? strict : coercing).compile(schema as object);
    // Checked after the schema passed, so the input is as deep as the schema allows and no deeper.
    const validateWithoutNul = Object.assign(
      (data: unknown): boolean => {
        if (!validate(data)) {
          validateWithoutNul.errors = validate.errors;
          return false;
        }
        const at = nulCharacterAt(data);
        validateWithoutNul.errors = at === undefined ? null : [{ instancePath: at, schemaPath: '', keyword: 'nul', params: {}, message: 'must not contain the NUL character (U+0000)' }];
        return at === undefined;
      },
      { errors: null as ErrorObject[] | null | undefined },
    );
    return validateWithoutNul;
  };
}

export interface FieldError {
  in: string;
  field: string;
  message: string;
}

/** Turns ajv errors into one entry per bad field, named by JSON pointer (`/sections/0/price`). */
export function describeValidationErrors(errors: ErrorObject[], part: string | undefined): FieldError[] {
  return errors.map((e) => {
    const params = e.params as { additionalProperty?: string; missingProperty?: string };
    const child = params.additionalProperty ?? (e.keyword === 'required' ? params.missingProperty : undefined);
    const field = child === undefined ? e.instancePath : `${e.instancePath}/${child}`;
    const message = e.keyword === 'additionalProperties' ? 'is not an accepted field' : (e.message ?? 'is invalid');
    return { in: part ?? 'body', field: field || '/', message };
  });
}
