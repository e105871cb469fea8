import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import { MalformedEnvelopeError } from '../../lambdas/domain/errors';
import { indexesByRequest } from '../../lambdas/domain/ledger';
import { markRedriven } from '../../lambdas/ledger/dynamodb-ledger';
import { clientConfig, type Deployment } from './deployment';

/**
 * What `npm run redrive` tells the request ledger before it moves a chunk of dead-lettered messages
 * back: their indexes leave the entries' `failed` sets, so each request is pending again (storing,
 * or queued) until they are stored. Malformed bodies name no request and are moved as they are.
 */
export function ledgerOnRedrive(
  deployment: Deployment,
  mark: typeof markRedriven = markRedriven,
): (bodies: string[]) => Promise<void> {
  const { ledgerTableName } = deployment;
  if (!ledgerTableName) return async () => {};
  const ddb = new DynamoDBClient(clientConfig(deployment));
  return async (bodies) => {
    const items = bodies.flatMap((body) => {
      try {
        const { requestId, index } = decodeEnvelope(body);
        return [{ requestId, index }];
      } catch (error) {
        if (error instanceof MalformedEnvelopeError) return [];
        throw error;
      }
    });
    for (const [requestId, indexes] of indexesByRequest(items)) {
      await mark(ddb, ledgerTableName, requestId, indexes);
    }
  };
}
