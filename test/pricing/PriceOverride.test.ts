import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/ConfigError.js';
import { flatPrice } from '../../src/pricing/ModelPrices.js';
import type { ModelPrices } from '../../src/pricing/ModelPrices.js';
import { addsToPriceData, parsePriceEntry } from '../../src/pricing/PriceOverride.js';

/** What parsePriceEntry throws for `entry` (a ConfigError is expected). */
function errorOf(entry: unknown): ConfigError {
  try {
    parsePriceEntry(entry, 'prices.json', '"m"');
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

// Every billed unit, nano-USD per 1M tokens or per 1,000 calls.
const EVERY_UNIT: ModelPrices = {
  input: flatPrice(2_000_000_000n),
  output: flatPrice(8_000_000_000n),
  cacheRead: flatPrice(500_000_000n),
  cacheWrite: flatPrice(3_750_000_000n),
  cacheWrite1h: flatPrice(6_000_000_000n),
  reasoning: flatPrice(10_000_000_000n),
  inputAudio: flatPrice(40_000_000_000n),
  outputAudio: flatPrice(80_000_000_000n),
  inputImage: flatPrice(10_000_000_000n),
  requestsPerK: flatPrice(1_000_000_000n), // $0.001 a call
  webSearchesPerK: flatPrice(10_000_000_000n),
  fileSearchesPerK: flatPrice(2_500_000_000n),
  codeInterpreterCallsPerK: flatPrice(30_000_000_000n), // $0.03 a call
  imageGenerationsPerK: flatPrice(42_000_000_000n), // $0.042 an image
  codeExecutionsPerK: flatPrice(50_000_000_000n), // $0.05 an execution
};

describe('parsePriceEntry: every billed unit, in both spellings', () => {
  it('reads camelCase per 1M tokens and per call', () => {
    const entry = {
      inputPerM: 2,
      outputPerM: 8,
      cacheReadPerM: 0.5,
      cacheWritePerM: 3.75,
      cacheWrite1hPerM: 6,
      reasoningPerM: 10,
      inputAudioPerM: 40,
      outputAudioPerM: 80,
      inputImagePerM: 10,
      requestPerCall: 0.001,
      webSearchPerCall: 0.01,
      fileSearchPerCall: 0.0025,
      codeInterpreterPerCall: 0.03,
      imageGenerationPerCall: 0.042,
      codeExecutionPerCall: 0.05,
    };
    expect(parsePriceEntry(entry, 'pricing.overrides', '["m"]')).toEqual(EVERY_UNIT);
  });

  it('reads snake_case per 1k tokens and per 1k calls to the same integers', () => {
    const entry = {
      input_per_1k: 0.002,
      output_per_1k: 0.008,
      cache_read_per_1k: 0.0005,
      cache_write_per_1k: 0.00375,
      cache_write_1h_per_1k: 0.006,
      reasoning_per_1k: 0.01,
      input_audio_per_1k: 0.04,
      output_audio_per_1k: 0.08,
      input_image_per_1k: 0.01,
      request_per_1k: 1,
      web_search_per_1k: 10,
      file_search_per_1k: 2.5,
      code_interpreter_per_1k: 30,
      image_generation_per_1k: 42,
      code_execution_per_1k: 50,
    };
    expect(parsePriceEntry(entry, 'prices.json', '"m"')).toEqual(EVERY_UNIT);
  });

  it('reads the other two forms too (snake per 1M / per call, camel per 1k)', () => {
    expect(parsePriceEntry({ cache_write_1h_per_m: 6, code_interpreter_per_call: 0.03 }, 'f', '"m"')).toEqual({
      cacheWrite1h: EVERY_UNIT.cacheWrite1h,
      codeInterpreterCallsPerK: EVERY_UNIT.codeInterpreterCallsPerK,
    });
    expect(parsePriceEntry({ inputAudioPer1k: 0.04, codeExecutionPer1k: 50 }, 'f', '"m"')).toEqual({
      inputAudio: EVERY_UNIT.inputAudio,
      codeExecutionsPerK: EVERY_UNIT.codeExecutionsPerK,
    });
  });

  it('tells an entry that adds to the price data (no input, no output price) from one that replaces it', () => {
    expect(addsToPriceData(parsePriceEntry({ codeInterpreterPerCall: 0.03 }, 'f', '"m"'))).toBe(true);
    expect(addsToPriceData(parsePriceEntry({ inputPerM: 1, codeInterpreterPerCall: 0.03 }, 'f', '"m"'))).toBe(false);
    expect(addsToPriceData(parsePriceEntry({ output_per_m: 1 }, 'f', '"m"'))).toBe(false);
  });
});

describe('parsePriceEntry: mistakes name the file, the key, the field and the fix', () => {
  it('suggests the nearest field for a misspelt one, in the spelling used', () => {
    expect(errorOf({ code_interpreter_per_cal: 0.03 }).message).toBe(
      'prices.json: "m".code_interpreter_per_cal: unknown price field. Fix: did you mean code_interpreter_per_call? (rename code_interpreter_per_cal to code_interpreter_per_call)',
    );
    expect(errorOf({ cacheWrite1HourPerM: 6 }).message).toBe(
      'prices.json: "m".cacheWrite1HourPerM: unknown price field. Fix: did you mean cacheWrite1hPerM? (rename cacheWrite1HourPerM to cacheWrite1hPerM)',
    );
    expect(errorOf({ cache_write1h_per_m: 6 }).message).toContain('did you mean cache_write_1h_per_m?');
  });

  it('says how a unit is priced when it is given with the suffix of the other kind', () => {
    expect(errorOf({ web_search_per_m: 10 }).message).toBe(
      'prices.json: "m".web_search_per_m: web_search is priced per call or per 1k calls. Fix: rename web_search_per_m to web_search_per_call or web_search_per_1k',
    );
    expect(errorOf({ inputPerCall: 1 }).message).toBe(
      'prices.json: "m".inputPerCall: input is priced per 1M tokens or per 1k tokens. Fix: rename inputPerCall to inputPerM or inputPer1k',
    );
  });

  it('lists every unit when nothing is near', () => {
    expect(errorOf({ gpu_seconds_per_m: 1 }).message).toBe(
      'prices.json: "m".gpu_seconds_per_m: unknown price field. Fix: use a token unit (input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image) with _per_m or _per_1k, or a call unit (request, web_search, file_search, code_interpreter, image_generation, code_execution) with _per_call or _per_1k',
    );
  });

  it('refuses a unit given twice, a bad number and an entry without prices', () => {
    expect(errorOf({ codeInterpreterPerCall: 0.03, code_interpreter_per_1k: 30 }).message).toBe(
      'prices.json: "m".code_interpreter_per_1k: codeInterpreter price given twice (codeInterpreterPerCall and code_interpreter_per_1k). Fix: keep only one of codeInterpreterPerCall / code_interpreter_per_1k',
    );
    expect(errorOf({ image_generation_per_call: -0.04 }).message).toBe(
      'prices.json: "m".image_generation_per_call: expected a non-negative number of USD per call, got -0.04. Fix: set image_generation_per_call to a price such as 0.03',
    );
    expect(errorOf({ code_execution_per_1k: '50' }).message).toBe(
      'prices.json: "m".code_execution_per_1k: expected a non-negative number of USD per 1k calls, got "50". Fix: set code_execution_per_1k to a price such as 30',
    );
    expect(errorOf({ provider: 'openai' }).message).toBe(
      'prices.json: "m": expected at least one price. Fix: add input_per_m and output_per_m (inputPerM / outputPerM in code) to price the model, or only the units to add to its price-data entry, e.g. code_interpreter_per_call',
    );
  });
});
