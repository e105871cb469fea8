import { describe, expect, it } from 'vitest';
import { redrive } from '../../cdk/ops/pipeline-client';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { getRequestStatus } from '../../cdk/ops/request-status';
import {
  accept,
  clients,
  config,
  deployment,
  faultItem,
  pollUntil,
  queueDepth,
  readFailures,
} from './support';

/** A round: maxReceiveCount receives, a visibility timeout apart, then the move to the dead-letter queue. */
const roundMs = (config.maxReceiveCount + 1) * config.visibilityTimeoutSeconds * 1000;

const failureRecordsOf = async (requestId: string) =>
  (await readFailures()).filter((object) => object.body.requestId === requestId);

describe('an item whose write always fails', () => {
  it('reaches the dead-letter queue after 3 receives with a failure record, and redrive brings it back', async () => {
    // Prepare: a dead-letter queue holding nothing of earlier tests.
    expect(await queueDepth(deployment.deadLetterQueueUrl)).toEqual({ visible: 0, inFlight: 0 });

    // Act 1: the fault item fails every write until SQS gives up on it.
    const { requestId } = await accept([faultItem]);
    await pollUntil(
      'the item in the dead-letter queue',
      async () => ((await queueDepth(deployment.deadLetterQueueUrl)).visible === 1 ? true : undefined),
      { timeoutMs: roundMs + 30_000, everyMs: 500 },
    );

    // Assert 1: recorded in S3 on the final receive.
    const [record] = await failureRecordsOf(requestId);
    expect(record?.body).toMatchObject({
      reason: 'write_failed',
      item: faultItem,
      index: 0,
      receiveCount: config.maxReceiveCount,
    });
    // The ledger says so too: nothing pending, the item failed.
    expect(await getRequestStatus(deployment, requestId)).toMatchObject({
      status: 'failed',
      accepted: 1,
      stored: 0,
      failed: 1,
      pending: 0,
    });

    // Act 2
    const { moved } = await redrive(
      clients.sqs,
      deployment.deadLetterQueueUrl,
      deployment.queueUrl,
      () => {},
      ledgerOnRedrive(deployment),
    );
    const afterRedrive = await getRequestStatus(deployment, requestId);

    // Assert 2: back in the pipeline (it fails again, so a second round ends with a second record).
    expect(moved).toBe(1);
    expect(afterRedrive).toMatchObject({ failed: 0, pending: 1 });
    expect(afterRedrive.status).not.toBe('failed');
    expect((await queueDepth(deployment.deadLetterQueueUrl)).visible).toBe(0);
    const records = await pollUntil(
      'a second failure record after the redrive',
      async () => {
        const found = await failureRecordsOf(requestId);
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: roundMs + 30_000, everyMs: 500 },
    );
    expect(new Set(records.map((object) => object.body.messageId)).size).toBe(2);
  });
});
