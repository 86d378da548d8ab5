/**
 * The provider ids in the bundled @pydantic/genai-prices data (0.1.8), used to list the
 * catalogue synchronously (the package exposes providers one id at a time). A test
 * compares this list with the package's data, so an upgrade that adds providers fails it.
 */
export const GENAI_PROVIDER_IDS: readonly string[] = [
  'anthropic', 'arcee', 'avian', 'aws', 'azure', 'baseten', 'cerebras', 'cloudflare', 'cohere', 'cursor',
  'deepseek', 'doubleword', 'fireworks', 'github-copilot', 'google', 'groq', 'huggingface_cerebras',
  'huggingface_fireworks-ai', 'huggingface_groq', 'huggingface_hyperbolic', 'huggingface_nebius',
  'huggingface_novita', 'huggingface_nscale', 'huggingface_ovhcloud', 'huggingface_publicai',
  'huggingface_sambanova', 'huggingface_together', 'minimax', 'mistral', 'modal', 'moonshotai', 'novita',
  'openai', 'openrouter', 'ovhcloud', 'perplexity', 'quicksilverpro', 'together', 'typesafe', 'voyageai',
  'x-ai', 'zai', 'zhipuai',
];

/**
 * GenAI semantic-convention provider names (`gen_ai.provider.name`) that differ from
 * genai-prices ids. Names not listed are passed through (genai-prices also matches
 * loosely, e.g. 'gcp.gemini' → google, 'aws.bedrock' → aws).
 */
const PROVIDER_ALIASES: Readonly<Record<string, string>> = {
  x_ai: 'x-ai',
  xai: 'x-ai',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  azure_openai: 'azure',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  vertex_ai: 'google',
  gemini: 'google',
  'aws.bedrock': 'aws',
  bedrock: 'aws',
  mistral_ai: 'mistral',
  mistralai: 'mistral',
  together_ai: 'together',
  togetherai: 'together',
  moonshot: 'moonshotai',
};

/** Lower-cases a provider name and maps semconv names onto genai-prices ids. */
export function normalizeProviderId(provider: string): string {
  const p = provider.trim().toLowerCase();
  return PROVIDER_ALIASES[p] ?? p;
}
