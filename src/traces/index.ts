export { TraceRing } from './TraceRing.js';
export type { TraceDetail, TraceRingOptions, TraceSpanJson, TraceSummary } from './TraceRing.js';
