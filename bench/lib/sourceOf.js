// Where a profiled frame's code comes from, for bench/callProfile.js and bench/allocProfile.js.

/** The source of a frame: tollgate's build (under `distUrl`), the contrib instrumentation, the OTel SDK and API, the openai client, other packages, Node (with undici and V8's builtins), or the benchmark. */
export function sourceOf(url, functionName, distUrl) {
  if (url.startsWith(distUrl)) return "tollgate's build";
  if (url.includes('/node_modules/@opentelemetry/instrumentation-openai/')) return '@opentelemetry/instrumentation-openai';
  if (url.includes('/node_modules/@opentelemetry/')) return 'OTel SDK and API';
  if (url.includes('/node_modules/openai/')) return 'openai client';
  if (url.includes('/node_modules/')) return 'other packages';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url.startsWith('node:') || url === '') return 'Node, undici, V8 builtins';
  return 'benchmark code';
}
