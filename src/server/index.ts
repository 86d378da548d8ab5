export { createRequestHandler } from './createRequestHandler.js';
export type { RequestHandler } from './createRequestHandler.js';
export { startServer } from './startServer.js';
export type { RunningServer, StartServerOptions } from './startServer.js';
export { parseTimeParam } from './parseTimeParam.js';
export type { BudgetAdmin, HealthReport, ServerDeps } from './ServerDeps.js';
