import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../src/errors.js';
import { errorMessages, humanMessage } from '../web/src/app/errors.js';

describe("the web app's error sentences", () => {
  it('has a human sentence for every code of the error catalogue, and for none that is not in it', () => {
    const codes = [...Object.keys(errorCatalogue), 'network_error'].sort();
    const missing = codes.filter((code) => !(errorMessages as Record<string, string | undefined>)[code]);
    expect(missing).toEqual([]);
    expect(Object.keys(errorMessages).sort()).toEqual(codes);
  });

  it('says nothing a developer wrote for another developer: no codes, headers, tokens or timestamps', () => {
    for (const [code, sentence] of Object.entries(errorMessages)) {
      expect(sentence, code).toMatch(/^[A-Z].*[.!]$/);
      expect(sentence, code).not.toMatch(/_|`|Bearer|Authorization|token|header|\d{4}-\d{2}-\d{2}T|\b[45]\d\d\b/i);
    }
  });

  it('names the most tickets allowed when the server gives it', () => {
    expect(humanMessage('invalid_quantity', { min: 1, max: 4 })).toBe('You can have at most 4 tickets here.');
    expect(humanMessage('invalid_quantity', {})).toBe(errorMessages.invalid_quantity);
  });
});
