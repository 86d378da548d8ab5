import { ROOT_CONTEXT, SamplingDecision, SpanKind } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { TollgateSampler } from '../../src/otel/TollgateSampler.js';
import { samplerFromEnv } from '../../src/setup/startOtel.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('TollgateSampler', () => {
  const sampler = new TollgateSampler(new AlwaysOffSampler());

  it('upgrades a dropped GenAI span to RECORD (the processor sees it, exporters do not)', () => {
    expect(sampler.shouldSample(ROOT_CONTEXT, TRACE, 'chat gpt-4o', SpanKind.CLIENT, { 'gen_ai.operation.name': 'chat' }, []).decision).toBe(SamplingDecision.RECORD);
    expect(sampler.shouldSample(ROOT_CONTEXT, TRACE, 'x', SpanKind.CLIENT, { 'gen_ai.request.model': 'gpt-4o' }, []).decision).toBe(SamplingDecision.RECORD);
    expect(sampler.shouldSample(ROOT_CONTEXT, TRACE, 'memory read', SpanKind.INTERNAL, { 'tollgate.memory.operation': 'read' }, []).decision).toBe(SamplingDecision.RECORD);
  });

  it('leaves other spans to the base sampler', () => {
    expect(sampler.shouldSample(ROOT_CONTEXT, TRACE, 'GET /', SpanKind.SERVER, { 'http.method': 'GET' }, []).decision).toBe(SamplingDecision.NOT_RECORD);
  });

  it('never downgrades a sampled span', () => {
    const on = new TollgateSampler(new AlwaysOnSampler());
    expect(on.shouldSample(ROOT_CONTEXT, TRACE, 'chat', SpanKind.CLIENT, { 'gen_ai.operation.name': 'chat' }, []).decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('names its base', () => {
    expect(String(new TollgateSampler(new TraceIdRatioBasedSampler(0.5)))).toBe('TollgateSampler{TraceIdRatioBased{0.5}}');
  });
});

describe('samplerFromEnv', () => {
  it('follows OTEL_TRACES_SAMPLER', () => {
    expect(String(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }))).toBe('TraceIdRatioBased{0.25}');
    expect(String(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }))).toBe('AlwaysOffSampler');
    expect(String(samplerFromEnv({}))).toContain('ParentBased');
  });
});
