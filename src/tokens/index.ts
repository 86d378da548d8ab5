export type { TokenEstimator } from './TokenEstimator.js';
export { DefaultTokenEstimator, encodingForModel, IMAGE_TOKENS, LOW_DETAIL_IMAGE_TOKENS } from './DefaultTokenEstimator.js';
export { worstCaseOutputTokens } from './worstCaseOutputTokens.js';
