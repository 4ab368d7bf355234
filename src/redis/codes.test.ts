import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl } from '../../test/support/queue.js';
import { createRedisClient, isRedisUnavailable } from './client.js';
import { scriptCode, scriptCodeError } from './codes.js';

describe('script codes', () => {
  const client = createRedisClient(redisUrl);
  afterAll(() => client.close());

  it('are the same in Lua (evaluated by Redis) and in TypeScript', async () => {
    const lua = readFileSync(new URL('./scripts/includes/codes.lua', import.meta.url), 'utf8');
    const encoded = await client.redis.eval(`${lua}\nreturn cjson.encode(code)`, 0);
    expect(JSON.parse(String(encoded))).toEqual(scriptCode);
  });

  it('map each code that outlasted its retries to an error answered 503', () => {
    for (const code of Object.values(scriptCode)) {
      const error = scriptCodeError(code, 'waiting room of event e1');
      expect(isRedisUnavailable(error)).toBe(true);
      expect(error.message).toMatch(/^The waiting room of event e1 \w.*\.$/);
    }
  });
});
