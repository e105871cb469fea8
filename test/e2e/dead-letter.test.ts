import { describe, expect, it } from 'vitest';
import { redrive } from '../../cdk/ops/pipeline-client';
import { ledgerOnRedrive } from '../../cdk/ops/redrive-ledger';
import { getRequestStatus } from '../../cdk/ops/status-client';
import type { RequestStatus } from '../../lambdas/domain/ledger';
import { FAULT_ENV } from '../../lambdas/shared/fault-injection';
import { setFunctionVariable } from '../support/function-variables';
import {
  accept,
  clients,
  config,
  deployment,
  faultItem,
  pollUntil,
  queueDepth,
  readFailures,
  readResults,
} from './support';

/** A round: maxReceiveCount receives, a visibility timeout apart, then the move to the dead-letter queue. */
const roundMs = (config.maxReceiveCount + 1) * config.visibilityTimeoutSeconds * 1000;

/** Changes the batch function's FAULT_ITEMS; the emulator, like Lambda, starts new workers with it. */
const setFaultItems = (value: string): Promise<void> =>
  setFunctionVariable(deployment, deployment.batchFunctionName, FAULT_ENV.faultItems, value);

const failureRecordsOf = async (requestId: string) =>
  (await readFailures()).filter((object) => object.body.requestId === requestId);

describe('an item whose write always fails', () => {
  it('reaches the dead-letter queue after 3 receives with a failure record; fixed and redriven, its request is stored', async () => {
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

    // Act 2: the operator removes the cause (here: the batch function's FAULT_ITEMS), then redrives.
    await setFaultItems('');
    try {
      // The status between the ledger's mark and the message's return: the redriven item is pending again.
      const markLedger = ledgerOnRedrive(deployment);
      let marked: RequestStatus | undefined;
      const { moved } = await redrive(
        clients.sqs,
        deployment.deadLetterQueueUrl,
        deployment.queueUrl,
        () => {},
        async (bodies) => {
          await markLedger(bodies);
          marked = await getRequestStatus(deployment, requestId);
        },
      );
      const final = await pollUntil(
        'the redriven request to be stored',
        async () => {
          const current = await getRequestStatus(deployment, requestId);
          return current.status === 'stored' ? current : undefined;
        },
        { timeoutMs: 60_000, everyMs: 250 },
      );

      // Assert 2: back in the pipeline, then stored in exactly the objects S3 holds it in.
      expect(moved).toBe(1);
      // Nothing of this request is stored yet, so pending again reads queued (storing once some are).
      expect(marked).toMatchObject({ status: 'queued', failed: 0, pending: 1 });
      expect((await queueDepth(deployment.deadLetterQueueUrl)).visible).toBe(0);
      const holding = (await readResults()).filter((object) =>
        object.body.items.some((entry) => entry.requestId === requestId && entry.item === faultItem),
      );
      expect(holding).toHaveLength(1);
      expect(final).toMatchObject({ accepted: 1, stored: 1, pending: 0, failed: 0 });
      expect(final.objects).toEqual(holding.map((object) => object.key));
    } finally {
      await setFaultItems(String(faultItem));
    }
  });
});
