import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { waitUntil } from '../../cdk/local/local-cloud';
import { clientConfig, type Deployment } from '../../cdk/ops/deployment';
import { functionLogMessages } from '../../cdk/ops/function-logs';
import { type BundleSwaps, bundleLikeTheStack } from './cold-start';
import { referenceFunctionRequest } from './consumer-settings';
import { parseReferenceLogLine, REFERENCE_LOG_FILTER } from './reference-consumer/log-line';
import { zipArchive } from './zip';

/**
 * The reference consumers: the least an SQS consumer does on this emulator, deployed beside the batch
 * function with its settings (consumer-settings.ts), bundled as the stack bundles its functions.
 */

export const REFERENCE_CONSUMERS = {
  oneLine: { name: 'bench-reference-one-line', entry: 'test/bench/reference-consumer/one-line.ts' },
  onePut: { name: 'bench-reference-one-put', entry: 'test/bench/reference-consumer/one-put.ts' },
  onePutLedger: {
    name: 'bench-reference-one-put-ledger',
    entry: 'test/bench/reference-consumer/one-put-ledger.ts',
  },
} as const;
export type ReferenceConsumer = keyof typeof REFERENCE_CONSUMERS;

/** A deployment package (index.js and its map) of `entry` bundled as the stack bundles, with `swaps` on top. */
export async function deploymentPackage(entry: string, swaps: BundleSwaps = {}): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-package-'));
  try {
    const outfile = path.join(dir, 'index.js');
    await bundleLikeTheStack(entry, outfile, swaps);
    return zipArchive([
      { name: 'index.js', data: await readFile(outfile) },
      { name: 'index.js.map', data: await readFile(`${outfile}.map`) },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Deletes a function if it exists (a reference consumer left by an interrupted run). */
async function deleteFunctionIfAny(lambda: LambdaClient, functionName: string): Promise<void> {
  try {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: functionName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** Creates the reference consumers (with the Lambda API, from zips) and waits until they are active. */
export async function createReferenceConsumers(
  deployment: Deployment,
  batchFunction: FunctionConfiguration,
): Promise<void> {
  const lambda = new LambdaClient(clientConfig(deployment));
  for (const { name, entry } of Object.values(REFERENCE_CONSUMERS)) {
    await deleteFunctionIfAny(lambda, name);
    await lambda.send(
      new CreateFunctionCommand(
        referenceFunctionRequest(batchFunction, name, await deploymentPackage(entry)),
      ),
    );
    await waitUntil(
      `${name} active`,
      async () =>
        (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).State === 'Active',
      30_000,
    );
  }
}

export async function deleteReferenceConsumers(deployment: Deployment): Promise<void> {
  const lambda = new LambdaClient(clientConfig(deployment));
  for (const { name } of Object.values(REFERENCE_CONSUMERS)) await deleteFunctionIfAny(lambda, name);
}

export interface ReferenceRun {
  readonly invocations: number;
  readonly records: number;
  /** Epoch milliseconds of the last invocation's stamp (its PUT, for the one-PUT consumer). */
  readonly lastAt: number;
  /** Each record's invocation stamp. */
  readonly consumedAt: number[];
}

/**
 * What a reference consumer did since a time, from its one log line per invocation; waits (with a
 * deadline) until the lines account for `expectedRecords`, as log delivery may trail the work.
 */
export async function referenceRunSince(
  deployment: Deployment,
  functionName: string,
  since: number,
  expectedRecords: number,
): Promise<ReferenceRun> {
  let run: ReferenceRun = { invocations: 0, records: 0, lastAt: since, consumedAt: [] };
  await waitUntil(
    `${expectedRecords} records in ${functionName}'s log`,
    async () => {
      let invocations = 0;
      let lastAt = since;
      const consumedAt: number[] = [];
      for await (const message of functionLogMessages(
        deployment,
        functionName,
        since,
        REFERENCE_LOG_FILTER,
      )) {
        const invocation = parseReferenceLogLine(message);
        if (!invocation) continue;
        invocations += 1;
        lastAt = Math.max(lastAt, invocation.at);
        for (let record = 0; record < invocation.records; record += 1) consumedAt.push(invocation.at);
      }
      run = { invocations, records: consumedAt.length, lastAt, consumedAt };
      return consumedAt.length >= expectedRecords;
    },
    60_000,
    250,
  );
  return run;
}
