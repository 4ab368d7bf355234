import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('starts with safe defaults and the embedded database', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 3000, databaseUrl: undefined, dataDir: './data', seedDemo: true });
    expect(Object.isFrozen(config)).toBe(true);
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

  it('refuses a short secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'secret' })).toThrowError(/JWT_SECRET/);
  });
});
