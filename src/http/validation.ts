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
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv('array' as unknown as boolean);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
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
