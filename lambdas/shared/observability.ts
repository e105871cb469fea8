import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Service name and metrics namespace come from POWERTOOLS_* variables set by the stack. */
export const logger = new Logger();
export const metrics = new Metrics();

// Once per cold start (module init): the Node.js the function runs on, to be checked against its runtime.
logger.info('Cold start', { nodeVersion: process.version });
