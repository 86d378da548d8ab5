import type { Admission } from '../budget/CallTypes.js';
import type { AdmissionInfo } from '../track/TollgateHandle.js';

/** The admission as callers see it. */
export function admissionInfo(a: Admission): AdmissionInfo {
  const info: AdmissionInfo = { decision: a.decision, model: a.model, requestedModel: a.requestedModel, reservedNanos: a.reservedNanos };
  if (a.requestLimitNanos !== undefined) info.requestLimitNanos = a.requestLimitNanos;
  if (a.outputLimit !== undefined) info.outputLimit = a.outputLimit;
  return info;
}
