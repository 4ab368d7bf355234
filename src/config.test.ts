import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configLeaves, loadConfig } from './config.js';

const secretsDir = mkdtempSync(join(tmpdir(), 'onsale-secrets-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

/** A mounted secret file, as Docker and Kubernetes write them (often with a trailing newline). */
function secretFile(name: string, content: string): string {
  const path = join(secretsDir, name);
  writeFileSync(path, content);
  return path;
}

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

  it('reads Redis Cluster seeds, refuses malformed ones, and refuses a cluster beside REDIS_URL', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-2.internal:7001', REDIS_WAIT_REPLICAS: '1' })).toMatchObject({
      redisClusterNodes: '10.0.0.1:7000,redis-2.internal:7001', redisWaitReplicas: 1,
    });
    for (const bad of ['10.0.0.1', '10.0.0.1:7000,', 'redis://10.0.0.1:7000', 'a:1 b:2']) {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrowError(/REDIS_CLUSTER_NODES/);
    }
    expect(() => loadConfig({ REDIS_WAIT_REPLICAS: '6' })).toThrowError(/REDIS_WAIT_REPLICAS/);
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toThrowError(/not both/);
  });

  it('refuses a short secret', () => {
    expect(() => loadConfig({ JWT_SECRET: 'secret' })).toThrowError(/JWT_SECRET/);
  });

  it('reads every secret from the file its _FILE variable names, without the trailing newline', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET_FILE: secretFile('jwt', `${'j'.repeat(40)}\n`),
      QUEUE_TOKEN_SECRET_FILE: secretFile('queue', 'q'.repeat(40)),
      ADMIN_PASSWORD_FILE: secretFile('admin', 'from-a-file\r\n'),
      DATABASE_URL_FILE: secretFile('db', 'postgres://onsale:pw@db/onsale\n'),
    });
    expect(config).toMatchObject({ jwtSecret: 'j'.repeat(40), queue: { tokenSecret: 'q'.repeat(40) }, admin: { password: 'from-a-file' }, databaseUrl: 'postgres://onsale:pw@db/onsale' });
    // Every credential-bearing variable can come from a file.
    expect(configLeaves().filter((leaf) => leaf.schema.secret).map((leaf) => leaf.schema.env).sort()).toEqual(
      ['ADMIN_PASSWORD', 'DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN', 'QUEUE_TOKEN_SECRET', 'REDIS_URL', 'SMTP_URL'],
    );
  });

  it('validates a value read from a file like any other and refuses a secret set twice or a missing file', () => {
    expect(() => loadConfig({ JWT_SECRET_FILE: secretFile('short', 'short\n') })).toThrowError(/JWT_SECRET/);
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(40), JWT_SECRET_FILE: secretFile('twice', 'y'.repeat(40)) })).toThrowError(/JWT_SECRET or JWT_SECRET_FILE, not both/);
    expect(() => loadConfig({ METRICS_TOKEN_FILE: join(secretsDir, 'missing') })).toThrowError(/METRICS_TOKEN_FILE=.*ENOENT/);
    // Not a secret: no _FILE variant is read.
    expect(loadConfig({ PORT_FILE: secretFile('port', '1') }).port).toBe(3000);
  });
});
