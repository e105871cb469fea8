import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';
import { PipelineError } from '../domain/errors';

/** One physical id for the one setting per account and Region: CloudFormation never sees it replaced. */
export const PHYSICAL_ID = 'apigateway-account-cloudwatch-role';

/** What CloudFormation expects at the event's ResponseURL; its reason is cut to what it keeps. */
export function responseBody(
  event: CloudFormationCustomResourceEvent,
  result: { ok: true; data: Record<string, string> } | { ok: false; reason: string },
): CloudFormationCustomResourceResponse {
  const common = {
    PhysicalResourceId: PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  return result.ok
    ? { ...common, Status: 'SUCCESS', Data: result.data }
    : { ...common, Status: 'FAILED', Reason: result.reason.slice(0, 1_000) };
}

export class ResponseNotDeliveredError extends PipelineError {
  readonly code = 'RESPONSE_NOT_DELIVERED';
}

/** PUTs the answer to the presigned URL; S3 signs it without a content type, so none is sent. */
export async function sendResponse(
  url: string,
  body: CloudFormationCustomResourceResponse,
  fetchFn: typeof fetch = fetch,
): Promise<void> {
  const answer = await fetchFn(url, {
    method: 'PUT',
    headers: { 'content-type': '' },
    body: JSON.stringify(body),
  });
  if (!answer.ok) {
    throw new ResponseNotDeliveredError(`CloudFormation's response URL answered ${answer.status}`);
  }
}
