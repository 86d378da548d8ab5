import { BlockList, isIP } from 'node:net';
import { findProvider } from '@pydantic/genai-prices';
import { loadBundledPrices } from './bundledPrices.js';
import { GENAI_PROVIDER_IDS } from './providerIds.js';

/**
 * Hosts whose models are local (they cost nothing): loopback and private addresses.
 * Entries are host names (`localhost`, `*.internal`) or CIDR ranges (`10.0.0.0/8`, `::1/128`).
 */
export const DEFAULT_LOCAL_HOSTS: readonly string[] = [
  'localhost',
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
];

/**
 * Whether the host of `baseUrl` is one of `hosts` (default DEFAULT_LOCAL_HOSTS). Throws an Error
 * naming the entry for a malformed CIDR range; false for an unparsable URL.
 */
export function isLocalHost(baseUrl: string | undefined, hosts: readonly string[] = DEFAULT_LOCAL_HOSTS): boolean {
  if (baseUrl === undefined || hosts.length === 0) return false;
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const family = isIP(host);
  const ranges = new BlockList();
  for (const entry of hosts) {
    const slash = entry.indexOf('/');
    if (slash < 0) {
      const name = entry.trim().toLowerCase();
      if (name === host || (name.startsWith('*.') && host.endsWith(name.slice(1)))) return true;
      continue;
    }
    const address = entry.slice(0, slash).trim();
    const prefix = Number(entry.slice(slash + 1));
    const type = isIP(address);
    if (type === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 4 ? 32 : 128)) {
      throw new Error(`tollgate: local host range "${entry}" is not a CIDR range such as "10.0.0.0/8" or "::1/128"`);
    }
    ranges.addSubnet(address, prefix, type === 4 ? 'ipv4' : 'ipv6');
  }
  return family !== 0 && ranges.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * An Ollama-style `name:tag` id (`llama3.1:8b`, `qwen3:0.6b`, `gemma3:latest`): one colon and a
 * tag with a letter in it. Not OpenAI fine-tunes (`ft:gpt-4o:org::id`, several colons) nor
 * Bedrock versions (`anthropic.claude-v2:1`, a numeric tag).
 */
export function isTaggedLocalModel(model: string): boolean {
  return /^[a-z0-9][\w.\-/]*:[\w.-]*[a-z][\w.-]*$/i.test(model.trim()) && model.indexOf(':') === model.lastIndexOf(':');
}

/** Model families of the cloud APIs: an unpriced id of theirs is a new or misspelt cloud model, not a local one. */
const CLOUD_FAMILIES = /^(gpt-|o\d|chatgpt|text-embedding|davinci|babbage|claude|gemini|grok|command|sonar|codestral|magistral|devstral)/;

let pricedIds: readonly string[] | undefined;
/** Answers already computed (a process sends few distinct model ids; bounded all the same). */
const answers = new Map<string, boolean>();
const MAX_ANSWERS = 1000;

/**
 * Whether `model` looks like a cloud provider's model: of a cloud family (`gpt-`, `claude`,
 * `gemini`, `grok`...) or within a typo of a model the price data knows (Damerau-Levenshtein
 * distance 1, or 2 for ids of 8 characters or more: `gtp-4o` is `gpt-4o` misspelt). Used to keep
 * an unpriced model sent to a local host under the caps instead of pricing it $0.
 */
export function looksLikeCloudModel(model: string): boolean {
  const id = (model.trim().toLowerCase().split('/').pop() ?? '').trim();
  if (id === '' || CLOUD_FAMILIES.test(id)) return true;
  let answer = answers.get(id);
  if (answer === undefined) {
    pricedIds ??= priceDataIds();
    const limit = id.length >= 8 ? 2 : 1;
    answer = pricedIds.some((known) => Math.abs(known.length - id.length) <= limit && editDistance(id, known, limit) <= limit);
    if (answers.size >= MAX_ANSWERS) answers.clear();
    answers.set(id, answer);
  }
  return answer;
}

/** The model ids of the price data (genai-prices and the bundled file), lower-cased, without provider prefixes. */
function priceDataIds(): string[] {
  const ids = new Set<string>();
  const add = (id: string): void => {
    ids.add(id.toLowerCase().split('/').pop() ?? '');
  };
  for (const provider of GENAI_PROVIDER_IDS) for (const m of findProvider({ providerId: provider })?.models ?? []) add(m.id);
  const bundled = loadBundledPrices();
  for (const alias of bundled.aliases.keys()) add(alias);
  for (const entry of bundled.models) add(entry.key);
  return [...ids];
}

/** Optimal-string-alignment distance (a swap of neighbours counts 1), stopping early past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return best;
    before = prev;
    prev = row;
  }
  return prev[b.length] ?? 0;
}
