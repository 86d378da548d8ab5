import { createNoopMeter } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/api';
import { GenAiMeters } from './GenAiMeters.js';
import type { LabelFold } from './LabelFold.js';

/**
 * The GenAI meters on whichever meter provider is current when a call settles, not the one that
 * was registered when tollgate was created. README's order creates tollgate first and starts the
 * SDK (NodeSDK, or a hand-built MeterProvider set as global) after: the provider is then looked up
 * again at the next record, and the meters are made on it once. While only the API's no-op
 * provider is there, nothing is recorded (no work for nothing); a provider registered later is
 * picked up by the next call.
 */
export class LazyGenAiMeters {
  private provider: MeterProvider | undefined;
  private meters: GenAiMeters | undefined;
  private closed = false;

  /**
   * @param currentProvider Returns the provider to record on (e.g. `() => metrics.getMeterProvider()`); called on each record.
   * @param scope The instrumentation scope of the meter.
   * @param fold Bounds the label values (see GenAiMeters).
   */
  constructor(
    private readonly currentProvider: () => MeterProvider,
    private readonly scope: { name: string; version: string },
    private readonly fold?: LabelFold,
  ) {}

  /** The meters of the current provider; undefined while it is the no-op one, or after close(). */
  current(): GenAiMeters | undefined {
    if (this.closed) return undefined;
    const provider = this.currentProvider();
    if (provider !== this.provider) {
      this.provider = provider;
      const meter = provider.getMeter(this.scope.name, this.scope.version);
      this.meters = meter === createNoopMeter() ? undefined : new GenAiMeters(meter, this.fold);
    }
    return this.meters;
  }

  /** Records nothing from now on (tollgate shut down). */
  close(): void {
    this.closed = true;
    this.provider = undefined;
    this.meters = undefined;
  }
}
