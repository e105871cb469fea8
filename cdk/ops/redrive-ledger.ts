import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import { MalformedEnvelopeError } from '../../lambdas/domain/errors';
import { indexesByRequest } from '../../lambdas/domain/ledger';
import { markRedriven, readEntry } from '../../lambdas/ledger/dynamodb-ledger';
import { clientConfig, type Deployment } from './deployment';

/**
 * What `npm run redrive` tells the request ledger before it moves a chunk of dead-lettered messages
 * back: their indexes leave the entries' `failed` sets, so each request is pending again (storing,
 * or queued) until they are stored. It also says which to send back: not an item the ledger already
 * shows stored. That happens when an invocation moved an item it could not write to the dead-letter
 * queue and then crashed: SQS redelivered the batch and the item was stored. A redriven message is a
 * first delivery, which the batch function does not look up, so it would be stored twice. Malformed
 * bodies name no request and are moved as they are.
 */
export function ledgerOnRedrive(
  deployment: Deployment,
  mark: typeof markRedriven = markRedriven,
  read: typeof readEntry = readEntry,
): (bodies: string[]) => Promise<boolean[]> {
  const { ledgerTableName } = deployment;
  if (!ledgerTableName) return async (bodies) => bodies.map(() => true);
  const ddb = new DynamoDBClient(clientConfig(deployment));
  return async (bodies) => {
    const refs = bodies.map((body) => {
      try {
        const { requestId, index } = decodeEnvelope(body);
        return { requestId, index };
      } catch (error) {
        if (error instanceof MalformedEnvelopeError) return undefined;
        throw error;
      }
    });
    const stored = new Map<string, ReadonlySet<number>>();
    for (const [requestId, indexes] of indexesByRequest(refs.filter((ref) => ref !== undefined))) {
      stored.set(requestId, new Set((await read(ddb, ledgerTableName, requestId))?.stored));
      await mark(ddb, ledgerTableName, requestId, indexes);
    }
    // Stryker disable next-line OptionalChaining: every request of the chunk has its set, read above
    return refs.map((ref) => ref === undefined || !stored.get(ref.requestId)?.has(ref.index));
  };
}
