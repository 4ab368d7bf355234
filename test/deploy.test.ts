/**
 * The deployment files an operator applies (deploy/): the Kubernetes manifests against the
 * Kubernetes API schemas (kubernetes-models, which bundles them, so no network), the Compose file
 * and its nginx configuration against what the nodes need. The schemas do not refuse unknown fields,
 * so each field that matters is read back at its path: a misspelt one fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments, parse } from 'yaml';
import { proxyLocation, upstreamKeepaliveTimeout } from '../bench/simulate/cluster.js';
import { root } from '../scripts/build.mjs';
import { configLeaves, loadConfig } from '../src/config.js';
import { limits } from '../src/limits.js';
import { startTestApp, type TestApp } from './support/app.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; [key: string]: any };

const kubernetesDir = join(root, 'deploy/kubernetes');
const manifests: Manifest[] = readdirSync(kubernetesDir).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
  parseAllDocuments(readFileSync(join(kubernetesDir, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.join('; ')}`);
    return doc.toJS() as Manifest;
  }),
);
/** The schema-checked model of each kind the manifests may use, by `apiVersion/kind`. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

const manifest = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

/** Every variable a node reads, with the _FILE form of each secret. */
const knownVariables = new Set(configLeaves().flatMap(({ schema }) => (schema.secret ? [schema.env, `${schema.env}_FILE`] : [schema.env])));

function expectKnownVariables(variables: Record<string, string>): void {
  for (const name of Object.keys(variables)) expect(knownVariables.has(name), `${name} is not a setting (src/config.ts)`).toBe(true);
}

describe('the Kubernetes manifests', () => {
  it('each validate against the Kubernetes API schema of their kind', () => {
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}`).sort()).toEqual(Object.keys(models).sort());
    for (const m of manifests) expect(() => new models[`${m.apiVersion}/${m.kind}`]!(m as never).validate(), `${m.kind} ${m.metadata.name}`).not.toThrow();
  });

  it('a wrong field type or a missing required field fails the validation (the check can fail)', () => {
    const broken = structuredClone(manifest('Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = '3000';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort must be integer/);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 3000;
    delete broken.spec.selector;
    expect(() => new Deployment(broken as never).validate()).toThrow(/selector/);
  });

  it('run the nodes with probes, a drain that fits the grace period, secrets as files, and migrations as a Job', () => {
    const config = manifest('ConfigMap').data as Record<string, string>;
    const secret = manifest('Secret');
    const deployment = manifest('Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'onsale' } }]);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // The pod is killed only after preStop, the drain and the in-flight bound have all passed.
    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + (Number(config['SHUTDOWN_DRAIN_MS']) + limits.shutdownMsMax) / 1000);

    // Every *_FILE points into the mounted Secret at one of its keys; the pods would load this configuration.
    const mount = container.volumeMounts.find((v: { name: string }) => v.name === 'secrets').mountPath as string;
    const files = Object.fromEntries(Object.entries(secret.stringData as Record<string, string>).map(([key, value]) => [`${mount}/${key}`, value]));
    for (const [name, value] of Object.entries(config).filter(([name]) => name.endsWith('_FILE'))) expect(files[value], name).toBeDefined();
    expectKnownVariables(config);
    const resolved = Object.fromEntries(Object.entries(config).map(([name, value]) => (name.endsWith('_FILE') ? [name.slice(0, -5), files[value]!] : [name, value])));
    expect(loadConfig(resolved)).toMatchObject({ env: 'production', migrateOnStart: false, trustProxy: true });

    const job = manifest('Job').spec.template.spec;
    expect(job.containers[0].command).toEqual(['node', 'dist/cli.js', 'migrate']);
    expect(job.containers[0].image).toBe(container.image);
    expect(job.containers[0].envFrom).toEqual(container.envFrom);

    expect(manifest('HorizontalPodAutoscaler').spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(manifest('PodDisruptionBudget').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(manifest('Service').spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(manifest('Ingress').spec.rules[0].http.paths[0].backend.service.name).toBe(manifest('Service').metadata.name);
    expect(manifest('Ingress').metadata.annotations!['nginx.ingress.kubernetes.io/proxy-next-upstream']).toBe('error');
  });
});

describe('the Compose deployment', () => {
  const compose = parse(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, any>; secrets: Record<string, { file: string }> };
  const nodes = ['onsale-1', 'onsale-2', 'onsale-3'];

  it('runs PostgreSQL, Redis with its append-only file, a one-shot migration, three nodes and nginx', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'nginx', ...nodes, 'postgres', 'redis'].sort());
    const redisCommand = compose.services['redis'].command.join(' ');
    expect(redisCommand).toMatch(/--appendonly yes/);
    expect(redisCommand).toMatch(/--maxmemory-policy noeviction/);
    expect(compose.services['migrate'].command).toEqual(['node', 'dist/cli.js', 'migrate']);
    expect(compose.services['migrate'].restart).toBe('no');
    for (const name of nodes) {
      const node = compose.services[name];
      expect(node.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
      expectKnownVariables(node.environment);
      expect(node.environment).toMatchObject({ MIGRATE_ON_START: 'false', TRUST_PROXY: 'true', NODE_ENV: 'production' });
      // Every *_FILE names a secret the node mounts.
      for (const [variable, path] of Object.entries(node.environment as Record<string, string>).filter(([v]) => v.endsWith('_FILE'))) {
        expect(node.secrets, variable).toContain(path.replace('/run/secrets/', ''));
      }
      expect(Number.parseInt(node.stop_grace_period)).toBeGreaterThan((Number(node.environment.SHUTDOWN_DRAIN_MS) + limits.shutdownMsMax) / 1000);
    }
    for (const secret of Object.values(compose.secrets)) expect(secret.file).toMatch(/^\.\/secrets\//);
  });

  it("proxies with the simulator's tested nginx rules, to every node, with keep-alive shorter than the drain", () => {
    const conf = readFileSync(join(root, 'deploy/nginx/onsale.conf'), 'utf8');
    expect(conf).toContain(proxyLocation);
    expect(conf).toContain(`keepalive_timeout ${upstreamKeepaliveTimeout};`);
    for (const name of nodes) expect(conf).toContain(`server ${name}:3000;`);
    expect(Number.parseInt(upstreamKeepaliveTimeout) * 1000).toBeLessThan(Number(compose.services['onsale-1'].environment.SHUTDOWN_DRAIN_MS));
  });
});

/** The metric names a PromQL expression selects; throws when it does not parse. */
function metricsOf(expr: string): string[] {
  const names: string[] = [];
  promql.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`not PromQL at ${node.from}: ${expr}`);
      if (node.name === 'VectorSelector') names.push(expr.slice(node.from, node.to).split('{')[0]!.trim());
    },
  });
  return names;
}

describe('the Grafana dashboard and the Prometheus alert rules', () => {
  let app: TestApp;
  /** Every series name /metrics exports, with a histogram's _bucket, _sum and _count. */
  let exported: Set<string>;
  beforeAll(async () => {
    app = await startTestApp('postgres');
    const text = (await app.request('GET', '/metrics')).body as string;
    exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : type === 'summary' ? [name!, `${name}_sum`, `${name}_count`] : [name!]));
  });
  afterAll(() => app?.close());

  const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/onsale.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const rules = (parse(readFileSync(join(root, 'deploy/prometheus/alerts.yaml'), 'utf8')) as { groups: { rules: Record<string, any>[] }[] }).groups.flatMap((g) => g.rules);

  it('the dashboard parses, and its queries parse and name only exported metrics', () => {
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    const named = new Set(exprs.flatMap(metricsOf));
    expect([...named].filter((name) => !exported.has(name))).toEqual([]);
    for (const needed of ['onsale_queue_length', 'onsale_queue_admitted_per_minute', 'onsale_holds_placed_total', 'onsale_hold_batch_size_bucket',
      'onsale_orders_confirmed_total', 'onsale_http_request_duration_seconds_bucket', 'onsale_outbox_undispatched', 'onsale_deliveries_parked', 'onsale_live_sockets']) {
      expect(named, needed).toContain(needed);
    }
  });

  it('the alert rules parse, each with a severity and a summary, and name only exported metrics', () => {
    expect(rules.map((r) => r['alert']).sort()).toEqual(['OnsaleAdmissionStalled', 'OnsaleCheckoutErrors', 'OnsaleDatabasePoolSaturated', 'OnsaleDeliveriesParked', 'OnsaleHoldLatencyHigh', 'OnsaleOutboxBacklogGrowing']);
    for (const rule of rules) {
      expect(rule['labels'].severity).toMatch(/^(warning|critical)$/);
      expect(rule['annotations'].summary).toBeTruthy();
      expect(rule['for']).toMatch(/^\d+m$/);
      expect(metricsOf(rule['expr']).filter((name) => !exported.has(name)), rule['alert']).toEqual([]);
    }
  });

  it('a query naming a metric that does not exist, or not PromQL, fails the check', () => {
    expect(metricsOf('sum(rate(onsale_nothing_total[1m]))').filter((name) => !exported.has(name))).toEqual(['onsale_nothing_total']);
    expect(() => metricsOf('sum(rate(onsale_holds_placed_total[1m])')).toThrow(/not PromQL/);
  });
});
