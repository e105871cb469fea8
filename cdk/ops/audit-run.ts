import { readFileSync } from 'node:fs';
import { readFailureRecords, readResultsObjects } from './bucket';
import { deployedBatchSettings } from './deployed-rules';
import { clientsFor, type Deployment } from './deployment';
import { type AcceptedRequest, type Audit, auditInvariants } from './invariants';
import { queueDepth } from './queues';

export interface DeploymentAudit {
  readonly audit: Audit;
  readonly resultObjects: number;
  readonly itemsStored: number;
  readonly failureRecords: number;
  readonly deadLetterMessages: number;
  readonly acceptedItems: number;
}

export function readAcceptedFile(file: string): AcceptedRequest[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, number) => {
      const parsed = JSON.parse(line) as Partial<AcceptedRequest>;
      if (typeof parsed.requestId !== 'string' || !Array.isArray(parsed.items)) {
        throw new Error(`${file}:${number + 1} is not a {requestId, items} record`);
      }
      const { requestId, items, enqueuedOutOfOrder } = parsed;
      return { requestId, items, ...(enqueuedOutOfOrder ? { enqueuedOutOfOrder } : {}) };
    });
}

/**
 * Reads every results/ and failed/ object of a deployment and audits the contract's Invariants against the
 * rules the deployment itself enforces (its batch function's settings).
 */
export async function auditDeployment(
  deployment: Deployment,
  accepted: readonly AcceptedRequest[],
): Promise<DeploymentAudit> {
  const clients = clientsFor(deployment);
  const settings = await deployedBatchSettings(deployment);
  const read = { concurrency: 32 };
  const [results, failures, deadLetters] = await Promise.all([
    readResultsObjects(clients, deployment.bucketName, read),
    readFailureRecords(clients, deployment.bucketName, read),
    queueDepth(clients, deployment.deadLetterQueueUrl),
  ]);
  return {
    audit: auditInvariants({
      accepted,
      results,
      failures,
      batchSize: settings.batchSize,
      exclusionPairs: settings.exclusionPairs,
    }),
    resultObjects: results.length,
    itemsStored: results.reduce((sum, object) => sum + object.body.items.length, 0),
    failureRecords: failures.length,
    deadLetterMessages: deadLetters.visible + deadLetters.inFlight,
    acceptedItems: accepted.reduce((sum, request) => sum + request.items.length, 0),
  };
}
