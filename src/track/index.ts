export { Tracker } from './Tracker.js';
export { CallDriver, DrivenCall } from './CallDriver.js';
export type { CallDriverDeps, CallOutcome } from './CallDriver.js';
export type { CallSpec } from './requestAttributes.js';
export type { ContractVerdict, EmbeddingCallOptions, LlmCall, LlmCallOptions, MemoryOperation, ReportedUsage, ToolOptions } from './Tracker.js';
export type { AdmissionInfo, TollgateHandle } from './TollgateHandle.js';
export {
  attributionOf,
  withAttribution,
  withDimensions,
  BAGGAGE_AGENT,
  BAGGAGE_API_KEY_HASH,
  BAGGAGE_METADATA_PREFIX,
  BAGGAGE_SESSION,
  BAGGAGE_TAGS,
  BAGGAGE_TASK,
  BAGGAGE_TEAM,
  BAGGAGE_USER,
} from '../core/attribution.js';
export type { Attribution, Dimensions } from '../core/attribution.js';
export { AttributionError, resolveDimensions } from '../core/attributionInput.js';
export type { AttributionInput } from '../core/attributionInput.js';
export { apiKeyHash } from '../core/apiKeyHash.js';
export { recordFailure, withSpan } from './withSpan.js';
export { errorType } from '../core/errorType.js';
