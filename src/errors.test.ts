import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, type ErrorCode } from './errors.js';

/** The rows of the table in docs/errors.md: `| \`code\` | status | when |`. */
async function documentedCodes(): Promise<{ code: string; status: number; when: string }[]> {
  const text = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
  return [...text.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|(.*)\|\s*$/gm)].map(([, code, status, when]) => ({
    code: code!,
    status: Number(status),
    when: when!.trim(),
  }));
}

describe('error catalogue', () => {
  it('is documented in docs/errors.md with the same codes and statuses, in the same order', async () => {
    const documented = await documentedCodes();
    expect(documented.map(({ code, status }) => [code, status])).toEqual(Object.entries(errorCatalogue));
  });

  it('says in docs/errors.md when each code happens', async () => {
    for (const { code, when } of await documentedCodes()) expect(when.length, code).toBeGreaterThan(10);
  });

  it('has snake_case codes with a client or server error status', () => {
    for (const [code, status] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it('gives an AppError the status its code has in the catalogue', () => {
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      expect(new AppError(code, 'message').statusCode).toBe(errorCatalogue[code]);
    }
  });
});
