export { Tracker, setUsageAttributes } from './Tracker.js';
export type { ContractVerdict, EmbeddingCallOptions, LlmCall, LlmCallOptions, MemoryOperation, ReportedUsage, ToolOptions } from './Tracker.js';
export type { AdmissionInfo, TollgateHandle } from './TollgateHandle.js';
export { attributionOf, withAttribution, BAGGAGE_AGENT, BAGGAGE_SESSION, BAGGAGE_TASK } from '../core/attribution.js';
export type { Attribution } from '../core/attribution.js';
export { errorType, recordFailure, withSpan } from './withSpan.js';
