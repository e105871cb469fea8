import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { referenceLogLine } from './log-line';

/** The floor of an SQS consumer on this emulator: one log line per invocation, no failures. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  console.log(referenceLogLine({ records: event.Records.length, at: Date.now() }));
  return { batchItemFailures: [] };
};
