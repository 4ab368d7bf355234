import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('starts with safe defaults and the embedded database', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 3000, dataDir: './data', seedDemo: true, http: { requestTimeoutMs: 30_000 } });
    expect(config.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.admin)).toBe(true);
  });

  it('converts and validates values, naming every bad variable', () => {
    expect(loadConfig({ PORT: '8080', SEED_DEMO: 'false' })).toMatchObject({ port: 8080, seedDemo: false });
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PG_POOL_SIZE: '0' })).toThrowError(/PORT[\s\S]*DATABASE_URL[\s\S]*PG_POOL_SIZE/);
  });

  it('refuses to start in production with a default secret or admin password', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'a-real-password' })).toThrowError(ConfigError);
    const secrets = { JWT_SECRET: 'x'.repeat(40), QUEUE_TOKEN_SECRET: 'y'.repeat(40) };
    expect(() => loadConfig({ NODE_ENV: 'production', ...secrets })).toThrowError(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: secrets.JWT_SECRET, ADMIN_PASSWORD: 'a-real-password' })).toThrowError(/QUEUE_TOKEN_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', ...secrets, ADMIN_PASSWORD: 'a-real-password' }).env).toBe('production');
  });

  it('names the variable and the bound it breaks, also inside a group', () => {
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '999' })).toThrowError(/HTTP_REQUEST_TIMEOUT_MS="?999"?: .*1000/);
    expect(() => loadConfig({ PORT: '70000' })).toThrowError(/PORT=.*65535/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrowError(/LOG_LEVEL/);
  });

  it('reads grouped settings from their variables and treats an empty variable as unset', () => {
    const config = loadConfig({ PAYMENT_STALE_AFTER_MS: '5000', DELIVERY_MAX_ATTEMPTS: '3', REDIS_URL: '' });
    expect(config.payments).toEqual({ reconcileIntervalMs: 30_000, staleAfterMs: 5000 });
    expect(config.delivery.maxAttempts).toBe(3);
    expect(config.redisUrl).toBeUndefined();
  });

  it('refuses a short secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'secret' })).toThrowError(/JWT_SECRET/);
  });
});
