import type { Deployment } from './deployment';
import { type AcceptedAnswer, answerLines, postItems } from './pipeline-client';
import { statusLine, waitForRequest } from './status-client';

/**
 * `npm run send -- --wait`: POSTs, then follows the request's status until it is stored or failed
 * and prints the objects holding its items: a producer waiting for its work to be done. Exit code 0 only when
 * every item is stored.
 */
export async function sendAndWait(
  deployment: Deployment,
  body: string,
  idempotencyKey: string | undefined,
  timeoutMs: number,
  print: (line: string) => void = console.log,
): Promise<number> {
  const answer = await postItems(
    deployment,
    body,
    idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  );
  for (const line of answerLines(deployment, answer)) print(line);
  if (answer.status !== 202) return 1;
  const { requestId } = answer.json as AcceptedAnswer;
  const status = await waitForRequest(deployment, requestId, {
    timeoutMs,
    onProgress: (current) => print(`  ${statusLine(current)}`),
  });
  for (const key of status.objects) print(`  ${key}`);
  return status.status === 'stored' ? 0 : 1;
}
