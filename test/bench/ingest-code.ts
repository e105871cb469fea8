import * as path from 'node:path';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, type Deployment } from '../../cdk/ops/deployment';
import { PROJECT_ROOT } from '../../cdk/project';
import { deploymentPackage } from './reference-consumers';

/**
 * The ingest function's code for the full path before and after the dispatcher, swapped in the
 * deployed function between runs: `topic` is the stack's ingest bundled as the stack bundles it;
 * `queue` is the same code with SNS's client replaced by a SendMessageBatch to the item queue
 * (direct-ingest/sns-to-sqs.ts), what ingest did before the dispatcher. And, for `npm run
 * bench:compare`, ingest without the request ledger. The stack's code is untouched.
 */

export type IngestVia = 'topic' | 'queue';

const INGEST_ENTRY = 'lambdas/ingest/handler.ts';
const BEFORE_THE_DISPATCHER = {
  '@aws-sdk/client-sns': path.join(PROJECT_ROOT, 'test/bench/direct-ingest/sns-to-sqs.ts'),
};
const WITHOUT_THE_LEDGER = {
  'lambdas/ledger/dynamodb-ledger': path.join(PROJECT_ROOT, 'test/bench/no-ledger/dynamodb-ledger.ts'),
};

export async function ingestPackages(): Promise<Record<IngestVia, Buffer>> {
  return {
    topic: await deploymentPackage(INGEST_ENTRY),
    queue: await deploymentPackage(INGEST_ENTRY, { packages: BEFORE_THE_DISPATCHER }),
  };
}

/**
 * The ingest function of the tree at `root` (this one by default) with a ledger that writes nothing
 * (no-ledger/dynamodb-ledger.ts): its requests cost what they would without the request ledger.
 */
export const ingestWithoutLedgerPackage = (root: string = PROJECT_ROOT): Promise<Buffer> =>
  deploymentPackage(INGEST_ENTRY, { modules: WITHOUT_THE_LEDGER, root });

/** Replaces the ingest function's code and waits until the update is applied (new workers start with it). */
export async function deployIngestCode(deployment: Deployment, zipFile: Uint8Array): Promise<void> {
  const lambda = new LambdaClient(clientConfig(deployment));
  const FunctionName = deployment.ingestFunctionName;
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: zipFile }));
  await waitUntil(
    `${FunctionName}'s new code`,
    async () =>
      (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }))).LastUpdateStatus ===
      'Successful',
    30_000,
  );
}
