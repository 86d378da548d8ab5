/** The models the seed documents list as built-in; `tollgate pricing` shows these by default. */
export const SEED_MODELS: readonly string[] = [
  'claude-sonnet-4', 'claude-opus-4', 'claude-3.5-sonnet', 'claude-3.5-haiku', 'claude-3-haiku',
  'gpt-4o', 'gpt-4o-mini', 'gpt-4-turbo', 'o1', 'o1-mini', 'o3-mini',
  'gemini-2.0-flash', 'gemini-2.0-pro', 'gemini-1.5-pro', 'gemini-1.5-flash',
  'llama-3.1-405b', 'llama-3.1-70b', 'llama-3.1-8b',
  'mistral-large', 'mistral-small', 'codestral',
  'deepseek-v3', 'deepseek-r1',
];
