import type { Nanos } from '../core/money.js';
import { nanosToUsd } from '../core/money.js';
import type { Problems } from '../core/Problems.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { UnknownModelError } from '../core/UnknownModelError.js';
import type { CostBreakdown, UnknownModelPolicy } from '../pricing/types.js';
import type { PriceBasis } from './CallTypes.js';
import type { Pricer } from './Pricer.js';

/** What to do with a model that has no price when a deny or fallback budget applies to the call. */
export type UnpricedUnderCap = 'ceiling' | 'deny';

export interface CallPricingOptions {
  pricer: Pricer;
  /** The unknown-model policy of the pricing config (zero | warn | deny). Default 'warn'. */
  unknownModel?: UnknownModelPolicy;
  /** Default 'ceiling': reserve and charge the provider's dearest prices. 'deny': refuse the call. */
  unpricedUnderCap?: UnpricedUnderCap;
  problems: Problems;
}

/**
 * How the engine prices a call: from the price data when the model is known; at the ceiling
 * price when it is not and a cap applies (never $0 under a deny budget); at $0 only in
 * warn-only setups, as `unknownModel` says, and then loudly unless the policy is 'zero'.
 */
export class CallPricing {
  private readonly pricer: Pricer;
  private readonly unknownModel: UnknownModelPolicy;
  private readonly unpricedUnderCap: UnpricedUnderCap;
  private readonly problems: Problems;

  constructor(options: CallPricingOptions) {
    this.pricer = options.pricer;
    this.unknownModel = options.unknownModel ?? 'warn';
    this.unpricedUnderCap = options.unpricedUnderCap ?? 'ceiling';
    this.problems = options.problems;
  }

  /**
   * The price basis for a call of `model`. Throws UnknownModelError (a refusal) for an unpriced
   * model under the 'deny' policy, or under a cap with unpricedUnderCap 'deny'.
   */
  basis(provider: string, model: string, enforced: boolean): PriceBasis {
    if (this.pricer.isPriced(model, provider)) return 'known';
    if (this.unknownModel === 'deny') throw new UnknownModelError(model, provider);
    if (enforced) {
      if (this.unpricedUnderCap === 'deny') {
        throw new UnknownModelError(
          model,
          provider,
          `no price is known for model "${provider}/${model}" and a deny budget applies (pricing.unpricedUnderCap 'deny'). ` +
            `Fix: correct the model name, or add pricing.overrides["${provider}/${model}"] = { inputPerM, outputPerM }`,
        );
      }
      const ceiling = this.pricer.ceilingCost({ input: 1_000_000, output: 1_000_000 }, provider);
      this.problems.report(
        'unpriced_model',
        `model "${model}" (${provider}) has no price; under a deny budget it is reserved and charged at the ceiling price ` +
          `(input $${nanosToUsd(ceiling.inputNanos).toFixed(2)}/M, output $${nanosToUsd(ceiling.outputNanos).toFixed(2)}/M). ` +
          `Fix: correct the model name, or add pricing.overrides["${provider}/${model}"]`,
      );
      return 'ceiling';
    }
    if (this.unknownModel === 'warn') {
      this.problems.report(
        'unpriced_model',
        `model "${model}" (${provider}) has no price and is charged $0 (no deny budget applies; pricing.unknownModel 'warn'). ` +
          `Fix: correct the model name, or add pricing.overrides["${provider}/${model}"]`,
      );
    }
    return 'unpriced';
  }

  /** The cost breakdown of `usage` on the given basis. */
  cost(basis: PriceBasis, usage: TokenUsage, model: string, provider: string): CostBreakdown {
    return basis === 'ceiling' ? this.pricer.ceilingCost(usage, provider) : this.pricer.cost(usage, model, provider);
  }

  nanos(basis: PriceBasis, usage: TokenUsage, model: string, provider: string): Nanos {
    return this.cost(basis, usage, model, provider).totalNanos;
  }

  /** Whether `model` has a price of its own. */
  isPriced(model: string, provider: string): boolean {
    return this.pricer.isPriced(model, provider);
  }

  /**
   * The most output tokens (at most `maxOutput`) a call with `inputTokens` can have for at
   * most `budgetNanos`; -1 when not even the input fits. Binary search: prices are monotone.
   */
  fitOutput(basis: PriceBasis, model: string, provider: string, inputTokens: number, maxOutput: number, budgetNanos: Nanos): number {
    const price = (output: number): Nanos => this.nanos(basis, { input: inputTokens, output }, model, provider);
    if (price(0) > budgetNanos) return -1;
    if (price(maxOutput) <= budgetNanos) return maxOutput;
    let lo = 0;
    let hi = maxOutput;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (price(mid) <= budgetNanos) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}
