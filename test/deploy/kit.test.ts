import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument, stringify } from 'yaml';
import * as MetricNames from '../../src/metrics/MetricNames.js';
import {
  REPO_ROOT,
  allPanels,
  dashboardQueries,
  readDashboard,
  substituteVariables,
  variableQueries,
} from './dashboard.js';
import { histogramBaseName, promqlMetricNames } from './promqlMetricNames.js';
import { missingToolReason, runTool } from './promtool.js';

// ---------------------------------------------------------------------------------------
// Shapes of the files, as far as these tests read them.

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface CollectorPipeline {
  receivers: string[];
  processors: string[];
  exporters: string[];
}
interface Collector {
  extensions?: Record<string, { endpoint?: string } | null>;
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  processors: Record<string, unknown>;
  exporters: Record<
    string,
    {
      endpoint?: string;
      headers?: Record<string, string>;
      sending_queue?: { sizer?: string; queue_size?: number; batch?: { flush_timeout?: string; min_size?: number; max_size?: number } };
    } | null
  >;
  service: { extensions?: string[]; pipelines: Record<string, CollectorPipeline> };
}
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}
interface AlertRules {
  groups: { name: string; rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[];
}
interface AlertTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}
interface GrafanaDatasources {
  datasources: { name: string; uid: string; type: string; url: string }[];
}
interface GrafanaDashboardProviders {
  providers: { name: string; type: string; options: { path: string } }[];
}

// ---------------------------------------------------------------------------------------
// Helpers

const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);

function listFiles(dir: string, pattern: RegExp): string[] {
  return readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
    .map((f) => posix.join(dir, f.split('\\').join('/')))
    .filter((f) => pattern.test(f) && statSync(repoPath(f)).isFile())
    .sort();
}

/** Parses a YAML file strictly: any error or warning (duplicate keys included) fails. */
function readYaml<T>(file: string): T {
  const doc = parseDocument(readFileSync(repoPath(file), 'utf8'), { uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  return doc.toJS() as T;
}

/** `host:port` → port number. */
function portOf(endpoint: string): number {
  const m = /:(\d+)$/.exec(endpoint.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, ''));
  if (m?.[1] === undefined) throw new Error(`no port in "${endpoint}"`);
  return Number(m[1]);
}
function hostOf(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, '').replace(/[:/].*$/, '');
}

/** Container ports a service publishes ("4317:4317", "127.0.0.1:3000:3000/tcp" → 4317, 3000). */
function publishedContainerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) => Number(p.replace(/\/\w+$/, '').split(':').at(-1)));
}

/** Bind mounts of a service: host path (relative to the repo) → container path. */
function bindMounts(service: ComposeService): { source: string; target: string }[] {
  return (service.volumes ?? [])
    .map((v) => v.split(':'))
    .filter((parts) => (parts[0] ?? '').startsWith('.'))
    .map((parts) => ({ source: parts[0] ?? '', target: parts[1] ?? '' }));
}

/** The repo file a container path comes from, through the service's bind mounts. */
function hostFileFor(service: ComposeService, containerPath: string): string | undefined {
  for (const { source, target } of bindMounts(service)) {
    if (containerPath === target) return posix.normalize(source);
    if (containerPath.startsWith(`${target}/`)) return posix.join(source, containerPath.slice(target.length + 1));
  }
  return undefined;
}

/** Value of `--flag value` or `--flag=value` in a command list. */
function flagValue(command: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < command.length; i++) {
    const arg = command[i] ?? '';
    if (arg === flag) return command[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** Every value of a repeatable `--flag=value` option. */
function flagValues(command: readonly string[], flag: string): string[] {
  return command.filter((a) => a.startsWith(`${flag}=`)).map((a) => a.slice(flag.length + 1));
}

/** Docker compose `${VAR:-default}` → default. */
function composeDefaults(text: string): string {
  return text.replace(/\$\{\w+:-([^}]*)\}/g, '$1').replace(/\$\{\w+\}/g, '');
}

/** A Dockerfile instruction's JSON-array argument (ENTRYPOINT, CMD). */
function dockerfileExecForm(dockerfile: string, instruction: string): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith(`${instruction} [`));
  if (line === undefined) throw new Error(`Dockerfile has no ${instruction} in exec form`);
  return JSON.parse(line.slice(instruction.length + 1)) as string[];
}

const KNOWN_METRICS: ReadonlySet<string> = new Set(
  Object.entries(MetricNames)
    .filter(([key]) => key.startsWith('METRIC_'))
    .map(([, value]) => value),
);
const HISTOGRAMS: ReadonlySet<string> = new Set([MetricNames.METRIC_LLM_REQUEST_DURATION_SECONDS]);

// ---------------------------------------------------------------------------------------

const compose = readYaml<Compose>('docker-compose.yml');
const collector = readYaml<Collector>('otel-collector.yaml');
const prometheus = readYaml<PrometheusConfig>('prometheus/prometheus.yml');
const alerts = readYaml<AlertRules>('prometheus/alerts.yml');
const alertTests = readYaml<AlertTests>('prometheus/alerts.test.yml');
const datasources = readYaml<GrafanaDatasources>('grafana/provisioning/datasources/datasources.yml');
const providers = readYaml<GrafanaDashboardProviders>('grafana/provisioning/dashboards/dashboards.yml');
const dashboard = readDashboard();

const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const demoCommand = service('tollgate-demo').command ?? [];
const demoPort = Number(flagValue(demoCommand, '--port'));
const prometheusCommand = service('prometheus').command ?? [];
const prometheusPort = portOf(flagValue(prometheusCommand, '--web.listen-address') ?? ':9090');
const collectorConfigFiles = flagValues(service('otel-collector').command ?? [], '--config');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('every YAML and JSON file of the kit parses', () => {
  const yamlFiles = [
    'docker-compose.yml',
    'otel-collector.yaml',
    ...listFiles('prometheus', /\.ya?ml$/),
    ...listFiles('grafana', /\.ya?ml$/),
  ];
  const jsonFiles = listFiles('grafana', /\.json$/);

  it('finds the files it is about to parse', () => {
    expect(yamlFiles).toEqual([
      'docker-compose.yml',
      'otel-collector.yaml',
      'prometheus/alerts.test.yml',
      'prometheus/alerts.yml',
      'prometheus/prometheus.yml',
      'grafana/provisioning/dashboards/dashboards.yml',
      'grafana/provisioning/datasources/datasources.yml',
    ]);
    expect(jsonFiles).toEqual(['grafana/dashboards/tollgate.json']);
  });

  it.each(yamlFiles)('%s is valid YAML without duplicate keys', (file) => {
    expect(readYaml<unknown>(file)).toBeTypeOf('object');
  });

  it.each(jsonFiles)('%s is valid JSON', (file) => {
    expect(JSON.parse(readFileSync(repoPath(file), 'utf8'))).toBeTypeOf('object');
  });
});

describe('docker-compose.yml', () => {
  it('runs the collector, Jaeger, Prometheus, Grafana and the tollgate demo', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['grafana', 'jaeger', 'otel-collector', 'prometheus', 'tollgate-demo'].sort(),
    );
  });

  it('mounts only files and folders that exist in the repo', () => {
    const mounts = Object.values(compose.services).flatMap(bindMounts);
    expect(mounts.length).toBeGreaterThan(0);
    for (const { source } of mounts) expect(existsSync(repoPath(source)), `${source} exists`).toBe(true);
  });

  it('declares every named volume and depends only on services it defines', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, s] of Object.entries(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] ?? '';
        if (!source.startsWith('.') && !source.startsWith('/')) expect(declared, `${name}: volume ${source}`).toContain(source);
      }
      for (const dep of s.depends_on ?? []) expect(Object.keys(compose.services), `${name} depends on ${dep}`).toContain(dep);
    }
  });

  it('builds tollgate-demo from the Dockerfile, whose entrypoint is the built CLI', () => {
    const build = service('tollgate-demo').build ?? {};
    const dockerfilePath = posix.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile');
    const dockerfile = readFileSync(repoPath(dockerfilePath), 'utf8');
    expect(dockerfileExecForm(dockerfile, 'ENTRYPOINT')).toEqual(['node', 'dist/src/cli/main.js']);
    // package.json's bin and the Dockerfile agree on where the CLI is built.
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(posix.normalize(pkg.bin.tollgate ?? '')).toBe('dist/src/cli/main.js');
    // The image's default command and the compose command are the same demo.
    expect(dockerfileExecForm(dockerfile, 'CMD')).toEqual(demoCommand);
    expect(dockerfile).toContain(`EXPOSE ${demoPort}`);
  });

  it('copies into the image only what exists and is not excluded by .dockerignore', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'instrumentations']) {
      expect(existsSync(repoPath(needed)), `${needed} exists`).toBe(true);
      expect(ignored, `.dockerignore keeps ${needed}`).not.toContain(needed);
    }
    for (const local of ['node_modules', 'dist', '.git']) expect(ignored).toContain(local);
  });

  it('runs the demo only with options the demo command declares', () => {
    expect(demoCommand[0]).toBe('demo');
    const declared = [...readFileSync(repoPath('src/cli/commands/demo.ts'), 'utf8').matchAll(/\.option\('(--[\w-]+)/g)].map(
      (m) => m[1],
    );
    expect(declared).toContain('--hold');
    for (const arg of demoCommand.filter((a) => a.startsWith('--'))) expect(declared, arg).toContain(arg.replace(/=.*$/, ''));
  });

  it('keeps /metrics up after the run and restarts the demo when the hold ends', () => {
    const hold = Number(flagValue(demoCommand, '--hold'));
    // A hold is a setTimeout: above 2^31-1 ms Node fires it at once.
    expect(hold).toBeGreaterThan(0);
    expect(hold * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(service('tollgate-demo').restart).toBe('unless-stopped');
  });

  it('serves the demo on all interfaces of the port Prometheus scrapes, and publishes it', () => {
    expect(flagValue(demoCommand, '--host')).toBe('0.0.0.0');
    expect(service('tollgate-demo').environment?.TOLLGATE_HOST).toBe('0.0.0.0');
    expect(flagValue(demoCommand, '--db')).toMatch(/^\/data\//);
    expect(service('tollgate-demo').volumes).toContain('tollgate-data:/data');
    expect(publishedContainerPorts(service('tollgate-demo'))).toContain(demoPort);
  });

  it('points the demo at the collector with the standard OTEL_* variables', () => {
    const env = service('tollgate-demo').environment ?? {};
    const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
    expect(hostOf(endpoint)).toBe('otel-collector');
    // http/protobuf goes to the OTLP HTTP receiver.
    expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
    expect(portOf(endpoint)).toBe(portOf(collector.receivers.otlp.protocols.http.endpoint));
    expect(env.OTEL_SERVICE_NAME).toBe('tollgate-demo');
  });
});

describe('otel-collector.yaml', () => {
  const pipelines = collector.service.pipelines;

  it('receives OTLP over gRPC (4317) and HTTP (4318) on all interfaces, and compose publishes both', () => {
    const { grpc, http } = collector.receivers.otlp.protocols;
    expect([grpc.endpoint, http.endpoint]).toEqual(['0.0.0.0:4317', '0.0.0.0:4318']);
    const published = publishedContainerPorts(service('otel-collector'));
    expect(published).toContain(4317);
    expect(published).toContain(4318);
  });

  it('is the file compose mounts where the collector is told to read it', () => {
    const [configFile, ...overrides] = collectorConfigFiles;
    expect(hostFileFor(service('otel-collector'), configFile ?? '')).toBe('otel-collector.yaml');
    expect(overrides.every((o) => o.startsWith('yaml:'))).toBe(true);
  });

  it('limits memory first in every pipeline, using only components it defines', () => {
    expect(Object.keys(pipelines).sort()).toEqual(['metrics', 'traces']);
    for (const [name, p] of Object.entries(pipelines)) {
      expect(p.processors[0], `${name}: memory_limiter first`).toBe('memory_limiter');
      for (const r of p.receivers) expect(Object.keys(collector.receivers), `${name}: receiver ${r}`).toContain(r);
      for (const x of p.processors) expect(Object.keys(collector.processors), `${name}: processor ${x}`).toContain(x);
      for (const e of p.exporters) expect(Object.keys(collector.exporters), `${name}: exporter ${e}`).toContain(e);
    }
    for (const ext of collector.service.extensions ?? []) expect(Object.keys(collector.extensions ?? {})).toContain(ext);
  });

  it('batches in the exporters that push (sending_queue with batch), not with the batch processor', () => {
    expect(Object.keys(collector.processors)).not.toContain('batch');
    for (const p of Object.values(pipelines)) expect(p.processors).not.toContain('batch');
    const pushing = Object.entries(collector.exporters).filter(([name]) => name.startsWith('otlp'));
    expect(pushing.map(([name]) => name).sort()).toEqual(['otlp/honeycomb', 'otlp/jaeger']);
    for (const [name, exporter] of pushing) {
      const queue = exporter?.sending_queue;
      expect(queue?.batch, `${name}: sending_queue.batch`).toMatchObject({ flush_timeout: expect.any(String), min_size: expect.any(Number) });
      // the queue holds at least one batch, counted in the same unit
      expect(queue?.sizer, name).toBe('items');
      expect(queue?.queue_size ?? 0, name).toBeGreaterThanOrEqual(queue?.batch?.max_size ?? 0);
    }
    // the pinned image reads sending_queue.batch (older collectors reject the key)
    const [, minor] = /^otel\/opentelemetry-collector-contrib:0\.(\d+)\./.exec(service('otel-collector').image ?? '') ?? [];
    expect(Number(minor)).toBeGreaterThanOrEqual(130);
  });

  it('turns no resource attribute into a metric label (no process.pid series per restart)', () => {
    for (const [name, exporter] of Object.entries(collector.exporters)) {
      expect(exporter ?? {}, name).not.toHaveProperty('resource_to_telemetry_conversion');
    }
  });

  it('sends traces to the Jaeger service over OTLP gRPC, and Jaeger listens beyond localhost', () => {
    expect(pipelines.traces?.exporters).toEqual(['otlp/jaeger']);
    const endpoint = collector.exporters['otlp/jaeger']?.endpoint ?? '';
    expect(hostOf(endpoint)).toBe('jaeger');
    expect(portOf(endpoint)).toBe(4317);
    expect(service('jaeger').image).toMatch(/^jaegertracing\/jaeger:2\./);
    expect(service('jaeger').environment?.JAEGER_LISTEN_HOST).toBe('0.0.0.0');
  });

  it('can add Honeycomb to the traces pipeline from compose, with the key taken from the environment', () => {
    const honeycomb = collector.exporters['otlp/honeycomb'];
    expect(honeycomb?.headers?.['x-honeycomb-team']).toBe('${env:HONEYCOMB_API_KEY}');
    expect(service('otel-collector').environment).toHaveProperty('HONEYCOMB_API_KEY');
    // The compose override selects the traces exporters; by default only Jaeger.
    const override = collectorConfigFiles.find((c) => c.includes('service::pipelines::traces::exporters'));
    expect(override).toBeDefined();
    const listed = composeDefaults(override ?? '').replace(/^yaml:service::pipelines::traces::exporters:\s*/, '');
    expect(readYamlText<string[]>(listed)).toEqual(['otlp/jaeger']);
    expect(override).toContain('${OTELCOL_TRACES_EXPORTERS:-');
  });

  it('exposes OTLP metrics for Prometheus on the port Prometheus scrapes, under the otel_ prefix', () => {
    const exporter = collector.exporters.prometheus as { endpoint?: string; namespace?: string } | null;
    expect(pipelines.metrics?.exporters).toEqual(['prometheus']);
    expect(exporter?.namespace).toBe('otel');
    const target = scrapeTargets('otel-collector');
    expect(target).toEqual([`otel-collector:${portOf(exporter?.endpoint ?? '')}`]);
  });
});

function readYamlText<T>(text: string): T {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
  return doc.toJS() as T;
}

function scrapeTargets(job: string): string[] {
  const config = prometheus.scrape_configs.find((c) => c.job_name === job);
  return config?.static_configs.flatMap((s) => s.targets) ?? [];
}

describe('prometheus/prometheus.yml and alerts', () => {
  it('scrapes tollgate, the collector and itself, each at a port that service listens on', () => {
    expect(prometheus.scrape_configs.map((c) => c.job_name)).toEqual(['tollgate', 'otel-collector', 'prometheus']);
    expect(scrapeTargets('tollgate')).toEqual([`tollgate-demo:${demoPort}`]);
    expect(scrapeTargets('prometheus')).toEqual([`localhost:${prometheusPort}`]);
    expect(publishedContainerPorts(service('prometheus'))).toContain(prometheusPort);
    for (const target of prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))) {
      const host = hostOf(target);
      if (host !== 'localhost') expect(Object.keys(compose.services)).toContain(host);
    }
  });

  it('loads rule files that exist beside it in the repo and inside the container', () => {
    const configInContainer = flagValue(prometheusCommand, '--config.file') ?? '';
    expect(hostFileFor(service('prometheus'), configInContainer)).toBe('prometheus/prometheus.yml');
    for (const rules of prometheus.rule_files) {
      expect(existsSync(repoPath('prometheus', rules)), rules).toBe(true);
      const inContainer = posix.join(posix.dirname(configInContainer), rules);
      expect(hostFileFor(service('prometheus'), inContainer)).toBe(posix.join('prometheus', rules));
    }
  });

  it('has the three alerts the kit promises, each with a promtool unit test that expects it to fire', () => {
    const names = [...new Set(alerts.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter((a) => a !== undefined))];
    expect(names.sort()).toEqual(['TollgateBudgetExceeded', 'TollgateDailySpendAbove80Percent', 'TollgateScrapeTargetDown']);
    const firing = new Set(
      alertTests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)),
    );
    const silent = new Set(
      alertTests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)),
    );
    for (const name of names) {
      expect(firing, `${name} fires in a test`).toContain(name);
      expect(silent, `${name} stays silent in a test`).toContain(name);
    }
    expect(alertTests.rule_files).toEqual(['alerts.yml']);
  });

  it('rates a budget exceeded by its action: deny critical, fallback and warn warning', () => {
    const rules = alerts.groups.flatMap((g) => g.rules).filter((r) => r.alert === 'TollgateBudgetExceeded');
    const byMatcher = rules.map((r) => {
      const matchers = [...new Set([...r.expr.matchAll(/budget_exceeded_total\{(action!?="\w+")\}/g)].map((m) => m[1]))];
      return [matchers, r.labels?.severity];
    });
    expect(byMatcher).toEqual([
      [['action="deny"'], 'critical'],
      [['action!="deny"'], 'warning'],
    ]);
  });

  it('alert expressions use only tollgate metrics and Prometheus\'s own `up`', () => {
    for (const rule of alerts.groups.flatMap((g) => g.rules)) {
      for (const name of promqlMetricNames(rule.expr)) {
        expect(name === 'up' || KNOWN_METRICS.has(name), `${rule.alert ?? ''}: ${name}`).toBe(true);
      }
    }
  });

  it('passes promtool check config', (ctx) => {
    const skip = missingToolReason('promtool');
    if (skip !== undefined) return ctx.skip(skip);
    const r = runTool('promtool', ['check', 'config', 'prometheus/prometheus.yml'], REPO_ROOT);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('passes promtool check rules', (ctx) => {
    const skip = missingToolReason('promtool');
    if (skip !== undefined) return ctx.skip(skip);
    const r = runTool('promtool', ['check', 'rules', 'prometheus/alerts.yml'], REPO_ROOT);
    expect(r.output).toContain('SUCCESS: 4 rules found');
    expect(r.status, r.output).toBe(0);
  });

  it('passes promtool test rules (a unit test per alert)', (ctx) => {
    const skip = missingToolReason('promtool');
    if (skip !== undefined) return ctx.skip(skip);
    const r = runTool('promtool', ['test', 'rules', 'prometheus/alerts.test.yml'], REPO_ROOT);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });
});

describe('Grafana provisioning', () => {
  const grafana = service('grafana');

  it('points the Prometheus data source at the prometheus service and Jaeger at the jaeger service', () => {
    const prom = datasources.datasources.find((d) => d.type === 'prometheus');
    expect(prom?.url).toBe(`http://prometheus:${prometheusPort}`);
    const jaeger = datasources.datasources.find((d) => d.type === 'jaeger');
    expect(hostOf(jaeger?.url ?? '')).toBe('jaeger');
    expect(publishedContainerPorts(service('jaeger'))).toContain(portOf(jaeger?.url ?? ''));
  });

  it('mounts the provisioning folder where Grafana reads it', () => {
    expect(hostFileFor(grafana, '/etc/grafana/provisioning/datasources/datasources.yml')).toBe(
      'grafana/provisioning/datasources/datasources.yml',
    );
    expect(hostFileFor(grafana, '/etc/grafana/provisioning/dashboards/dashboards.yml')).toBe(
      'grafana/provisioning/dashboards/dashboards.yml',
    );
  });

  it('loads dashboards from the folder compose mounts grafana/dashboards at', () => {
    const [provider] = providers.providers;
    expect(provider?.type).toBe('file');
    const dashboardFile = posix.join(provider?.options.path ?? '', 'tollgate.json');
    expect(hostFileFor(grafana, dashboardFile)).toBe('grafana/dashboards/tollgate.json');
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    expect(hostFileFor(grafana, home)).toBe('grafana/dashboards/tollgate.json');
  });
});

describe('grafana/dashboards/tollgate.json', () => {
  const queries = dashboardQueries(dashboard);
  const resolved = queries.map((q) => ({ ...q, promql: substituteVariables(q.expr, dashboard) }));
  const prometheusUid = datasources.datasources.find((d) => d.type === 'prometheus')?.uid;

  it('has unique panel ids and a query in every panel that is not a row', () => {
    const panels = allPanels(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr ?? '', `${p.title} ${t.refId}`).not.toBe('');
    }
  });

  it('queries the provisioned Prometheus, directly or through its datasource variable', () => {
    const dsVariable = dashboard.templating?.list?.find((v) => v.type === 'datasource');
    expect(dsVariable?.query).toBe('prometheus');
    const allowed = [prometheusUid, `\${${dsVariable?.name ?? ''}}`];
    for (const p of allPanels(dashboard).filter((x) => x.type !== 'row')) {
      expect(allowed, p.title).toContain(p.datasource?.uid);
      for (const t of p.targets ?? []) expect(allowed, `${p.title} ${t.refId}`).toContain(t.datasource?.uid ?? p.datasource?.uid);
    }
  });

  it('uses only metric names tollgate exposes (no __name__ tricks)', () => {
    const used = new Set<string>();
    // label_values(<selector>, <label>) → <selector>
    const variableSelectors = variableQueries(dashboard).map((v) =>
      substituteVariables(v.query, dashboard).replace(/^label_values\((.*),\s*\w+\)$/, '$1'),
    );
    for (const q of [...resolved.map((r) => r.promql), ...variableSelectors]) {
      expect(q).not.toContain('__name__');
      const names = promqlMetricNames(q);
      expect(names.length, q).toBeGreaterThan(0);
      for (const name of names) {
        const base = histogramBaseName(name, HISTOGRAMS);
        expect(KNOWN_METRICS.has(base), `${name} in ${q}`).toBe(true);
        used.add(base);
      }
    }
    // The dashboard shows every tollgate metric.
    expect([...used].sort()).toEqual([...KNOWN_METRICS].sort());
  });

  it('covers what the issue lists: spend vs budget, remaining budgets, cost per model and provider, tokens, cached share, calls, errors, top tasks, exceeded events, latency percentiles', () => {
    const exprs = queries.map((q) => q.expr.replace(/\s+/g, ' '));
    const some = (re: RegExp): boolean => exprs.some((e) => re.test(e));
    expect(some(/daily_cost_usd \+ daily_cost_remaining_usd/)).toBe(true);
    expect(some(/budget_remaining_usd/)).toBe(true);
    expect(some(/sum by \(provider, model\) \(rate\(cost_total_per_model_usd/)).toBe(true);
    expect(some(/sum by \(provider\) \(rate\(cost_total_per_model_usd/)).toBe(true);
    expect(some(/rate\(tokens_input_total/) && some(/rate\(tokens_output_total/)).toBe(true);
    expect(some(/tokens_cached_input_total.* \/ .*tokens_input_total/)).toBe(true);
    expect(some(/sum by \(status\) \(rate\(llm_calls_total/)).toBe(true);
    expect(some(/status="error"/)).toBe(true);
    expect(some(/^topk\(10, sum by \(task_id\) \(task_cost_total_usd\)\)$/)).toBe(true);
    expect(some(/increase\(budget_exceeded_total/)).toBe(true);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(some(new RegExp(`^histogram_quantile\\(${q.replace('.', '\\.')}, sum by \\(le\\) \\(rate\\(llm_request_duration_seconds_bucket`))).toBe(true);
    }
  });

  it('links the latency panels and the dashboard to traces through the provisioned Jaeger data source', () => {
    const jaeger = datasources.datasources.find((d) => d.type === 'jaeger');
    /** The Explore query an `/explore?...&panes=<json>` link opens. */
    const exploreQuery = (url: string): Record<string, unknown> => {
      expect(url).toMatch(/^\/explore\?schemaVersion=1&orgId=1&panes=/);
      const panes = JSON.parse(url.slice(url.indexOf('panes=') + 'panes='.length)) as Record<
        string,
        { datasource: string; queries: Record<string, unknown>[]; range: { from: string; to: string } }
      >;
      const [pane, ...others] = Object.values(panes);
      expect(others).toEqual([]);
      expect(pane?.datasource).toBe(jaeger?.uid);
      expect(pane?.range).toEqual({ from: '${__from}', to: '${__to}' });
      expect(pane?.queries).toHaveLength(1);
      return pane?.queries[0] ?? {};
    };
    const latency = allPanels(dashboard).filter((p) => p.targets?.some((t) => (t.expr ?? '').startsWith('histogram_quantile(')));
    expect(latency.length).toBeGreaterThan(0);
    const withLinks = latency.filter((p) => (p.fieldConfig?.defaults?.links ?? []).length > 0);
    expect(withLinks.map((p) => p.title)).toEqual(['LLM request latency p50 / p95 / p99', 'LLM request latency p95 per model']);
    for (const panel of withLinks) {
      for (const link of panel.fieldConfig?.defaults?.links ?? []) {
        expect(exploreQuery(link.url)).toEqual({
          refId: 'A',
          datasource: { type: 'jaeger', uid: jaeger?.uid },
          queryType: 'search',
          service: '${service}',
          minDuration: '${__value.raw}s',
        });
      }
    }
    const [dashboardLink] = dashboard.links ?? [];
    expect(exploreQuery(dashboardLink?.url ?? '')).toMatchObject({ queryType: 'search', service: '${service}' });
    // the service variable starts at the demo's service name
    const serviceVariable = dashboard.templating?.list?.find((v) => v.name === 'service');
    expect(serviceVariable?.type).toBe('textbox');
    expect(serviceVariable?.current?.value).toBe(service('tollgate-demo').environment?.OTEL_SERVICE_NAME);
  });

  it('resolves every Grafana variable in every expression', () => {
    for (const r of resolved) expect(r.promql, `${r.panelTitle} ${r.refId}`).not.toMatch(/\$|\[\[/);
  });

  it('has only valid PromQL (each expression checked by promtool as a recording rule)', (ctx) => {
    const skip = missingToolReason('promtool');
    if (skip !== undefined) return ctx.skip(skip);
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-dashboard-'));
    tmpDirs.push(dir);
    const file = join(dir, 'dashboard-rules.yml');
    const rules = resolved.map((r) => ({ record: `dashboard:panel_${r.panelId}:${r.refId}`, expr: r.promql }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = runTool('promtool', ['check', 'rules', file]);
    expect(r.output, relative(REPO_ROOT, file)).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status, r.output).toBe(0);
  });
});

describe('promqlMetricNames', () => {
  it('finds the selected metrics and skips functions, labels, ranges, numbers and keywords', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.95, sum by (le, model) (rate(llm_request_duration_seconds_bucket{model=~".*", le!="1e3"}[1m]))) * 3600',
      ),
    ).toEqual(['llm_request_duration_seconds_bucket']);
    expect(
      promqlMetricNames(
        '(sum(rate(a_total{status="error"}[5m])) or vector(0)) / on() group_left sum(b_total offset 5m) > bool 1e-3 unless c',
      ),
    ).toEqual(['a_total', 'b_total', 'c']);
    expect(promqlMetricNames('topk(10, sum by (task_id) (task_cost_total_usd))')).toEqual(['task_cost_total_usd']);
  });

  it('maps histogram series to their histogram', () => {
    const h = new Set(['llm_request_duration_seconds']);
    expect(histogramBaseName('llm_request_duration_seconds_bucket', h)).toBe('llm_request_duration_seconds');
    expect(histogramBaseName('llm_request_duration_seconds_count', h)).toBe('llm_request_duration_seconds');
    expect(histogramBaseName('tokens_input_total', h)).toBe('tokens_input_total');
    expect(histogramBaseName('other_bucket', h)).toBe('other_bucket');
  });
});
