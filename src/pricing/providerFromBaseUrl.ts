import { findProvider } from '@pydantic/genai-prices';

/** Price-data provider ids whose GenAI semantic-convention name differs (`gen_ai.provider.name`). */
const SEMCONV_NAMES: Readonly<Record<string, string>> = {
  'x-ai': 'x_ai',
  azure: 'azure.ai.openai',
  mistral: 'mistral_ai',
  aws: 'aws.bedrock',
};

/**
 * The provider an API base URL belongs to, matched against the `api_pattern` of every provider
 * in the @pydantic/genai-prices data (`https://api.groq.com/openai/v1` → `groq`). Returned as
 * the GenAI semantic-convention name where one exists (`x_ai`, `azure.ai.openai`, `mistral_ai`,
 * `aws.bedrock`, `gcp.gemini`, `gcp.vertex_ai`), else as the price data's id (`cerebras`,
 * `together`, `openrouter`, `fireworks`...); `pricingProvider` maps the names back. Undefined
 * for a host the price data does not know (a local server, a gateway) or an unparsable URL.
 */
export function providerFromBaseUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  // The patterns are anchored at the start and written for lower-case hosts without a port.
  const normalised = `${parsed.protocol}//${parsed.hostname}${parsed.pathname}`;
  const id = findProvider({ providerApiUrl: normalised })?.id;
  if (id === undefined) return undefined;
  if (id === 'google') return parsed.hostname.endsWith('aiplatform.googleapis.com') ? 'gcp.vertex_ai' : 'gcp.gemini';
  return SEMCONV_NAMES[id] ?? id;
}
