import { metrics as metricsApi, trace, type Span, type Tracer } from '@opentelemetry/api';
import { AlertDispatcher } from './alerts/AlertDispatcher.js';
import { createAlertSinks } from './alerts/createAlertSinks.js';
import { BudgetEngine } from './budget/BudgetEngine.js';
import { ConfigError } from './core/ConfigError.js';
import { Problems } from './core/Problems.js';
import { loadConfig } from './config/loadConfig.js';
import { EventBus } from './events/EventBus.js';
import type { LeaseEvent, StoreResetEvent } from './events/TollgateEvents.js';
import type { UsageQuery } from './ledger/Ledger.js';
import { openStore } from './ledger/openLedger.js';
import { withErrorCount } from './ledger/withErrorCount.js';
import { sumUsage } from './ledger/UsageAccumulator.js';
import { LazyGenAiMeters } from './metrics/LazyGenAiMeters.js';
import { TollgateMetrics } from './metrics/TollgateMetrics.js';
import { PricingCatalog } from './pricing/PricingCatalog.js';
import type { TokenUsage } from './core/TokenUsage.js';
import { BudgetSpanProcessor } from './processor/BudgetSpanProcessor.js';
import { installFetchGuard } from './processor/FetchGuard.js';
import { pricingProvider } from './pricing/providerNames.js';
import { RateLimiter } from './ratelimit/RateLimiter.js';
import { createRequestHandler } from './server/createRequestHandler.js';
import { startServer, type RunningServer } from './server/startServer.js';
import { healthCheck } from './setup/healthCheck.js';
import { healthMonitor } from './setup/healthMonitor.js';
import { metricsHandler } from './setup/metricsHandler.js';
import { admissionInfo } from './setup/admissionInfo.js';
import { startOtel, type StartedOtel } from './setup/startOtel.js';
import { otelMetricsSink, prometheusSink, usageEventSink } from './sinks/settledCallSinks.js';
import { logEvents, logSink } from './sinks/logSink.js';
import { TollgateLogger } from './sinks/TollgateLogger.js';
import { MS_PER_DAY, utcDayStart } from './time/utcWindows.js';
import { DefaultTokenEstimator } from './tokens/DefaultTokenEstimator.js';
import { TraceRing } from './traces/TraceRing.js';
import { CallDriver } from './track/CallDriver.js';
import type { AdmissionInfo, TollgateHandle } from './track/TollgateHandle.js';
import { Tracker } from './track/Tracker.js';
import { PassThroughTracker, type Wrappers } from './track/PassThroughTracker.js';
import { VERSION } from './version.js';

export type { Tollgate, TollgateOptions } from './Tollgate.js';
import type { Tollgate, TollgateOptions } from './Tollgate.js';

/**
 * Creates a tollgate. Configuration comes from (lowest first) tollgate.toml / tollgate.json,
 * TOLLGATE_* environment variables, then `options`. A configuration mistake throws a
 * ConfigError naming the field and where it came from.
 */
export function createTollgate(options: TollgateOptions = {}): Tollgate {
  const {
    ledger: givenLedger,
    clock = Date.now,
    tracerProvider,
    meterProvider,
    guardFetch: guardOption = true,
    configFile,
    env,
    budgetRefreshMs = 30_000,
    ...configInput
  } = options;
  const config = loadConfig({
    ...(configFile === false ? { noFile: true } : configFile !== undefined ? { file: configFile } : {}),
    ...(env !== undefined ? { env } : {}),
    overrides: configInput,
  });
  const guardFetch = guardOption && config.enabled; // switched off (enabled = false): a pass-through, nothing guarded or stored

  if (!Number.isFinite(budgetRefreshMs) || budgetRefreshMs < 0) {
    throw new ConfigError({
      source: 'createTollgate() options',
      path: 'budgetRefreshMs',
      expected: `a number of milliseconds >= 0, got ${String(budgetRefreshMs)}`,
      fix: 'use 0 to never re-read stored budgets, or e.g. 30000',
    });
  }
  const pricing = new PricingCatalog(config.pricing); // unpricedUnderCap is the engine's (below)
  const problems = new Problems({ quiet: config.quiet, clock });
  const estimator = new DefaultTokenEstimator();
  const metrics = new TollgateMetrics(config.metrics);
  metrics.setProblemSource(() => problems.counts());
  // A store failure the engine went on without (fail open, a settlement not counted, budgets not loaded) is one of tollgate's own errors.
  problems.onReport((report) => {
    if (report.kind === 'store') metrics.recordError('ledger');
  });
  const events = new EventBus((event, err) => problems.report('telemetry', `a "${event}" event listener threw`, err));
  const redis = { ...config.redis, problems, onStoreReset: (e: StoreResetEvent) => events.emit('store_reset', e), onLease: (e: LeaseEvent) => events.emit('lease', e) };
  const ledger = withErrorCount(givenLedger ?? openStore(config.enabled ? config.store : 'memory:', { sqlite: config.sqlite, redis }), () => metrics.recordLedgerError());
  const engine = new BudgetEngine({
    ledger,
    pricer: pricing,
    budgets: config.budgets,
    clock,
    events,
    problems,
    reservationTtlMs: config.reservationTtlMs,
    failMode: config.failMode,
    defaultMaxOutputTokens: config.estimation.defaultMaxOutputTokens,
    minOutputTokens: config.estimation.minOutputTokens,
    inputMargin: config.estimation.inputMargin,
    unknownModel: config.pricing.unknownModel,
    unpricedUnderCap: config.pricing.unpricedUnderCap,
  });
  metrics.setBudgetSource(() => engine.status());
  metrics.setDailySpendSource(async () => {
    const now = clock();
    const groups = await ledger.usage({ by: 'day', since: utcDayStart(now), until: now + 1 });
    return sumUsage(groups).costNanos / 1e9;
  });
  // Looked up at each settled call: README's order creates tollgate before the SDK registers its meter provider.
  const meters = new LazyGenAiMeters(meterProvider !== undefined ? () => meterProvider : () => metricsApi.getMeterProvider(), { name: 'tollgate', version: VERSION }, metrics.labelFold('gen_ai_client'));
  // span → engine → ledger → sinks: every settled call, whoever drove it, reaches the same sinks once.
  engine.addSink(prometheusSink(metrics));
  engine.addSink(otelMetricsSink(() => meters.current()));
  engine.addSink(usageEventSink(events));
  const logger = new TollgateLogger({ level: config.log.level, clock, version: VERSION }); // OTel Logs API when the host registered a provider, else stderr
  engine.addSink(logSink(logger));
  logEvents(events, logger);
  const estimateInputTokens = (model: string, input: unknown): number => estimator.estimateInput(model, input);
  const traces = new TraceRing({ maxTraces: config.traces.ringSize });
  const processor = new BudgetSpanProcessor({
    engine,
    estimateInputTokens,
    traceSink: traces,
    isDriven: (span) => calls.callOf(span) !== undefined,
    onClientMetricsElsewhere: (parent) => calls.callOf(parent)?.markClientMetricsElsewhere(),
    enabled: config.enabled,
  });
  events.on('budget_exceeded', (e) => metrics.recordBudgetExceeded(e.scope, e.action));

  const dispatcher = config.alerts.length > 0 ? new AlertDispatcher(events, { routes: createAlertSinks(config.alerts, config.otel.serviceName !== undefined ? { service: config.otel.serviceName } : {}) }) : undefined;
  const limiter = Object.keys(config.rateLimits).length > 0 ? new RateLimiter({ limits: config.rateLimits, onLimited: (info) => events.emit('rate_limited', { ...info, time: clock() }) }) : undefined;
  const uninstallGuard = guardFetch ? installFetchGuard(processor) : () => undefined;

  const startedAt = clock();
  let tracer: Tracer | undefined;
  const getTracer = (): Tracer => (tracer ??= (tracerProvider ?? trace.getTracerProvider()).getTracer('tollgate', VERSION));
  const ready = engine.load().catch((err: unknown) => {
    problems.report('store', 'could not load the budgets stored in the store; only the configured budgets apply until the next refresh', err);
  });
  const prune = async (before?: number): Promise<number> => ledger.prune(before ?? clock() - config.retentionDays * MS_PER_DAY);
  // Data hygiene: old records go, per-day rollups stay. The timer never keeps the process alive.
  const pruneTimer = setInterval(() => {
    prune().catch((err: unknown) => problems.report('store', 'pruning old usage records failed', err));
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();
  // Budgets added or removed through another process sharing the store (another replica's API, the CLI).
  const refreshTimer =
    budgetRefreshMs > 0
      ? setInterval(() => {
          engine.load().catch((err: unknown) => problems.report('store', 're-reading the stored budgets failed', err));
        }, budgetRefreshMs)
      : undefined;
  refreshTimer?.unref();
  const servers = new Set<RunningServer>();
  let otel: StartedOtel | undefined;
  let closed: Promise<void> | undefined;

  const calls = new CallDriver({
    engine,
    tracer: getTracer,
    estimateInputTokens,
    captureContent: config.captureContent,
    ...(limiter !== undefined ? { rateLimit: (provider: string, tokens: number) => limiter.acquire(provider, tokens) } : {}),
  });
  const handle: TollgateHandle = {
    enabled: config.enabled,
    get tracer() {
      return getTracer();
    },
    captureContent: config.captureContent,
    calls,
    estimateInputTokens,
    costNanos: (provider: string, model: string, usage: TokenUsage) => {
      try {
        return pricing.cost(usage, model, pricingProvider(provider)).totalNanos;
      } catch {
        return 0;
      }
    },
    admission: async (span: Span): Promise<AdmissionInfo | undefined> => {
      const driven = calls.callOf(span);
      if (driven !== undefined) {
        const ready = await driven.ready;
        return ready === undefined ? undefined : admissionInfo(ready);
      }
      const admission = await processor.admission(span);
      return admission === undefined ? undefined : admissionInfo(admission);
    },
  };
  const tracker: Wrappers = config.enabled ? new Tracker({ handle, calls, engine }) : new PassThroughTracker();

  // Store unreachable or no prices: a `health_check_failed` event (alerts, logs), checked every healthCheckIntervalMs and on /healthz.
  const health = healthMonitor(healthCheck({ pricesLoaded: () => pricing.list().length > 0, ledger, guardFetch }), { events, clock, intervalMs: config.enabled ? config.healthCheckIntervalMs : 0 });
  const serverDeps = {
    metrics,
    budgets: engine,
    usage: (q: UsageQuery) => ledger.usage(q),
    traces,
    events,
    now: clock,
    pause: engine.killSwitch,
    adminToken: config.server.adminToken,
    readToken: config.server.readToken,
    ...(config.server.allowedHosts !== undefined ? { allowedHosts: config.server.allowedHosts } : {}),
    sseMaxClients: config.server.sseMaxClients,
    sseMaxBufferedBytes: config.server.sseMaxBufferedBytes,
    maxBodyBytes: config.server.maxBodyBytes,
    health: health.check,
    status: async () => {
      const session = sumUsage(await ledger.usage({ by: 'status', since: startedAt }));
      return {
        version: VERSION,
        sessionCostUsd: session.costNanos / 1e9,
        calls: session.calls,
        traceCount: traces.list().length,
        uptimeSeconds: Math.round((clock() - startedAt) / 1000),
        store: config.store,
      };
    },
    ...(limiter !== undefined ? { rateLimitStatus: () => limiter.status() } : {}),
    ...(ledger.leases !== undefined ? { leases: ledger.leases } : {}),
  };
  const requestHandler = createRequestHandler(serverDeps);

  const tollgate: Tollgate = {
    enabled: config.enabled,
    get tracer() {
      return getTracer();
    },
    captureContent: handle.captureContent,
    calls,
    admission: handle.admission,
    estimateInputTokens: handle.estimateInputTokens,
    costNanos: handle.costNanos,
    ...(limiter !== undefined ? { rateLimit: (provider: string, tokens: number) => limiter.acquire(provider, tokens) } : {}),
    config,
    problems,
    spanProcessor: processor,
    pricing,
    ledger,
    budgets: engine,
    metrics,
    traces,
    events,
    ready,
    llm: (o, fn) => tracker.llm(o, fn),
    embedding: (o, fn) => tracker.embedding(o, fn),
    tool: (name, fn, o) => tracker.tool(name, fn, o),
    memory: (op, fn, o) => tracker.memory(op, fn, o),
    contract: (name, fn) => tracker.contract(name, fn),
    task: (id, fn, o) => tracker.task(id, fn, o),
    session: (id, fn, o) => tracker.session(id, fn, o),
    attribute: (dims, fn) => tracker.attribute(dims, fn),
    agent: (name, fn, o) => tracker.agent(name, fn, o),
    turn: (n, fn) => tracker.turn(n, fn),
    on: (event, listener) => events.on(event, listener),
    usage: async (q) => ledger.usage(q),
    budgetStatus: async () => engine.status(),
    rateLimitStatus: () => limiter?.status() ?? [],
    checkRateLimit: (provider, tokens) => limiter?.tryAcquire(provider, tokens) ?? { allowed: true, provider, retryAfterMs: 0 },
    addBudget: async (spec) => engine.add(spec),
    removeBudget: async (id) => engine.remove(id),
    pause: (reason) => engine.killSwitch.pause(reason),
    resume: () => engine.killSwitch.resume(),
    resetSession: (id, actor) => engine.resets.session(id, actor),
    clearAll: (actor) => engine.resets.all(actor),
    requestHandler,
    metricsHandler: metricsHandler(metrics, problems),
    serve: async (o = {}) => {
      const server = await startServer(serverDeps, { host: o.host ?? config.server.host, port: o.port ?? config.server.port });
      servers.add(server);
      return server;
    },
    start: (o = {}) => {
      if (otel !== undefined) return otel;
      const started = startOtel(processor, o, { serviceName: config.otel.serviceName, exporter: config.otel.exporter });
      // Settlements still in flight record their metrics first, so the SDK's last export has them.
      otel = { sdk: started.sdk, shutdown: () => engine.forceFlush().then(() => started.shutdown(), () => started.shutdown()) };
      return otel;
    },
    prune,
    forceFlush: async () => {
      await engine.forceFlush();
      await ledger.flush?.();
      await dispatcher?.flush();
    },
    shutdown: () =>
      (closed ??= (async () => {
        clearInterval(pruneTimer);
        health.stop();
        if (refreshTimer !== undefined) clearInterval(refreshTimer);
        for (const s of servers) await s.close();
        servers.clear();
        await otel?.shutdown();
        await processor.shutdown();
        await engine.forceFlush();
        await dispatcher?.shutdown();
        await limiter?.shutdown();
        uninstallGuard();
        meters.close();
        await ledger.close();
      })()),
  };
  return tollgate;
}

/** How often old usage records are pruned. */
const PRUNE_INTERVAL_MS = 3_600_000;
