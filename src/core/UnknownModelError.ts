/**
 * Thrown for a model no price data knows when the unknown-model policy is 'deny', or when a
 * deny budget applies and pricing.unpricedUnderCap is 'deny' (the call is refused before it is sent). Fix: add a price override or a pricing file entry,
 * or choose the 'warn' / 'zero' policy.
 */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  readonly model: string;
  readonly provider: string | undefined;

  constructor(model: string, provider?: string, message?: string) {
    const who = provider ? `${provider}/${model}` : model;
    super(
      message ??
      `no price is known for model "${who}" and pricing.unknownModel is 'deny'. ` +
        `Fix: add pricing.overrides["${who}"] = { inputPerM, outputPerM } or a pricing file entry, or set pricing.unknownModel to 'warn'`,
    );
    this.model = model;
    this.provider = provider;
  }
}
