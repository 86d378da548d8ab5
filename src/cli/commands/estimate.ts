import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig.js';
import { formatUsd, nanosToUsd } from '../../core/money.js';
import { PricingCatalog } from '../../pricing/PricingCatalog.js';
import type { CostBreakdown } from '../../pricing/types.js';
import type { TokenUsage } from '../../core/TokenUsage.js';
import { count, printJson, printLine, printTable, printWarning } from '../output.js';

interface EstimateCommandOptions {
  cached?: number;
  cacheWrite?: number;
  reasoning?: number;
  provider?: string;
  json?: boolean;
}

/** Parses a token count argument: a non-negative integer (underscores and commas allowed: 1_000_000, 1,000,000). */
export function parseTokenCount(value: string): number {
  const cleaned = value.replace(/[_,]/g, '');
  if (!/^\d+$/.test(cleaned) || !Number.isSafeInteger(Number(cleaned))) {
    throw new InvalidArgumentError(`expected a whole number of tokens >= 0, got "${value}".`);
  }
  return Number(cleaned);
}

/** Usage field names in an error message → the CLI's argument names. */
function cliNames(message: string): string {
  return message
    .replace(/usage\.cacheRead/g, '--cached')
    .replace(/usage\.cacheWrite/g, '--cache-write')
    .replace(/usage\.reasoning/g, '--reasoning')
    .replace(/usage\.input/g, 'inputTokens')
    .replace(/usage\.output/g, 'outputTokens');
}

/** The JSON document `tollgate estimate --json` prints. */
export interface EstimateResult {
  model: string;
  provider: string;
  pricedAs: string;
  source: CostBreakdown['model']['source'];
  known: boolean;
  usage: Required<Pick<TokenUsage, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning'>>;
  costUsd: number;
  costNanos: number;
  breakdown: {
    inputUsd: number;
    cacheReadUsd: number;
    cacheWriteUsd: number;
    outputUsd: number;
    reasoningUsd: number;
    requestUsd: number;
  };
}

/** `tollgate estimate <model> <inputTokens> <outputTokens>`: the cost of one call. */
export function registerEstimateCommand(program: Command): void {
  program
    .command('estimate')
    .description('Price one call. inputTokens includes cached tokens; outputTokens includes reasoning tokens.')
    .argument('<model>', 'model id, e.g. claude-sonnet-4, gpt-4o-mini, openai/gpt-4o')
    .argument('<inputTokens>', 'input tokens (cached ones included)', parseTokenCount)
    .argument('<outputTokens>', 'output tokens (reasoning included)', parseTokenCount)
    .option('--cached <n>', 'of the input, tokens read from the prompt cache', parseTokenCount)
    .option('--cache-write <n>', 'of the input, tokens written to the prompt cache', parseTokenCount)
    .option('--reasoning <n>', 'of the output, reasoning tokens', parseTokenCount)
    .option('--provider <provider>', 'provider id (e.g. openai, anthropic, openrouter)')
    .option('--json', 'print JSON')
    .action((model: string, inputTokens: number, outputTokens: number, options: EstimateCommandOptions, command: Command) => {
      const config = loadConfig({ file: command.optsWithGlobals<{ config?: string }>().config });
      const catalog = new PricingCatalog({
        overrides: config.pricing.overrides,
        files: config.pricing.files,
        unknownModel: config.pricing.unknownModel,
        localModels: config.pricing.localModels,
      });
      const usage: Required<Pick<TokenUsage, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning'>> = {
        input: inputTokens,
        output: outputTokens,
        cacheRead: options.cached ?? 0,
        cacheWrite: options.cacheWrite ?? 0,
        reasoning: options.reasoning ?? 0,
      };
      let cost: CostBreakdown;
      try {
        cost = catalog.cost(usage, model, options.provider);
      } catch (err: unknown) {
        if (err instanceof RangeError) command.error(`error: ${cliNames(err.message)}`, { exitCode: 2, code: 'tollgate.badUsage' });
        throw err;
      }
      const m = cost.model;
      if (!m.known) printWarning(`no price is known for model "${model}"; counted as $0 (pricing.unknownModel = ${config.pricing.unknownModel})`);

      if (options.json === true) {
        const result: EstimateResult = {
          model,
          provider: m.provider,
          pricedAs: m.model,
          source: m.source,
          known: m.known,
          usage,
          costUsd: nanosToUsd(cost.totalNanos),
          costNanos: cost.totalNanos,
          breakdown: {
            inputUsd: nanosToUsd(cost.inputNanos),
            cacheReadUsd: nanosToUsd(cost.cacheReadNanos),
            cacheWriteUsd: nanosToUsd(cost.cacheWriteNanos),
            outputUsd: nanosToUsd(cost.outputNanos),
            reasoningUsd: nanosToUsd(cost.reasoningNanos),
            requestUsd: nanosToUsd(cost.requestNanos ?? 0),
          },
        };
        printJson(result);
        return;
      }
      printLine(`${model} (${m.provider}/${m.model}, ${m.source}): ${formatUsd(cost.totalNanos)}`);
      const rows: (string | number)[][] = [
        ['input', count(usage.input - usage.cacheRead - usage.cacheWrite), formatUsd(cost.inputNanos)],
        ['cache read', count(usage.cacheRead), formatUsd(cost.cacheReadNanos)],
        ['cache write', count(usage.cacheWrite), formatUsd(cost.cacheWriteNanos)],
        ['output', count(usage.output - usage.reasoning), formatUsd(cost.outputNanos)],
        ['reasoning', count(usage.reasoning), formatUsd(cost.reasoningNanos)],
      ];
      if ((cost.requestNanos ?? 0) > 0) rows.push(['per request', '1', formatUsd(cost.requestNanos ?? 0)]);
      rows.push(['total', count(usage.input + usage.output), formatUsd(cost.totalNanos)]);
      printTable(['', 'Tokens', 'Cost'], rows, [1, 2]);
    });
}
