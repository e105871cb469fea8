import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Clients } from './deployment';

export async function queueDepth(
  clients: Clients,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes: attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/**
 * Waits until the queue holds nothing, visible or in flight, on three polls in a row (the counts
 * are approximate); returns the seconds it took. Fails past the deadline with the last counts.
 */
export async function waitForDrain(
  clients: Clients,
  queueUrl: string,
  timeoutMs: number,
  everyMs = 1000,
): Promise<number> {
  const started = Date.now();
  let emptyPolls = 0;
  let emptySince = started;
  for (;;) {
    const polledAt = Date.now();
    const depth = await queueDepth(clients, queueUrl);
    if (depth.visible + depth.inFlight > 0) emptyPolls = 0;
    else if (emptyPolls++ === 0) emptySince = polledAt;
    if (emptyPolls >= 3) return (emptySince - started) / 1000;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `The queue did not drain within ${timeoutMs / 1000} s: ${depth.visible} visible, ${depth.inFlight} in flight`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
