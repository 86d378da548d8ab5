/** Maps semantic-convention provider names to the ids the price data uses. */
export function pricingProvider(provider: string): string {
  switch (provider) {
    case 'azure.ai.openai':
      return 'openai';
    case 'gcp.gemini':
    case 'gcp.vertex_ai':
    case 'gcp.gen_ai':
      return 'google';
    case 'aws.bedrock':
      return 'aws';
    case 'mistral_ai':
      return 'mistral';
    case 'x_ai':
      return 'x-ai';
    default:
      return provider;
  }
}

/** Guess a provider from a model id when no attribute names it. */
export function inferProvider(model: string | undefined): string {
  if (model === undefined) return 'unknown';
  const slash = model.indexOf('/');
  if (slash > 0) return model.slice(0, slash);
  const m = model.toLowerCase();
  if (/^(gpt-|o\d|text-embedding|chatgpt|davinci|babbage|omni-)/.test(m)) return 'openai';
  if (m.startsWith('claude')) return 'anthropic';
  if (m.startsWith('gemini') || m.startsWith('gemma')) return 'google';
  if (/^(mistral|codestral|ministral|pixtral|magistral|devstral)/.test(m)) return 'mistral';
  if (m.startsWith('deepseek')) return 'deepseek';
  if (m.startsWith('llama') || m.startsWith('meta-llama')) return 'meta';
  if (m.startsWith('grok')) return 'x-ai';
  return 'unknown';
}
