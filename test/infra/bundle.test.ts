import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthPipeline } from './synth';

type FunctionName = 'ingest' | 'batch' | 'status';
/** The bundle directory of each function, found through the asset metadata CDK writes. */
let bundles: Record<FunctionName, string>;
/** Each function's environment as the stack sets it; references to other resources become placeholders. */
let environments: Record<FunctionName, Record<string, string>>;

beforeAll(() => {
  const { app, stack, template } = synthPipeline({}, { bundle: true });
  const outdir = app.synth().directory;
  // A function's code is the asset whose hash names the uploaded zip: asset.<hash> in the assembly.
  const assetDir = (fn: typeof stack.ingestApi.ingestFunction): string => {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    const s3Key: string = template.toJSON().Resources[logicalId].Properties.Code.S3Key;
    return path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
  };
  bundles = {
    ingest: assetDir(stack.ingestApi.ingestFunction),
    batch: assetDir(stack.batchWriter.batchFunction),
    status: assetDir(stack.requestStatus.statusFunction),
  };
  const environmentOf = (fn: typeof stack.ingestApi.ingestFunction): Record<string, string> => {
    const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
    const variables: Record<string, unknown> =
      template.toJSON().Resources[logicalId].Properties.Environment.Variables;
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `${name}-of-the-deployment`,
      ]),
    );
  };
  environments = {
    ingest: environmentOf(stack.ingestApi.ingestFunction),
    batch: environmentOf(stack.batchWriter.batchFunction),
    status: environmentOf(stack.requestStatus.statusFunction),
  };
});

const markers = {
  ingest: { sdkCommand: 'PublishBatch', ownFunction: 'acceptItems', errorClass: 'RequestRejectedError' },
  batch: { sdkCommand: 'PutObject', ownFunction: 'segmentByExclusion', errorClass: 'InjectedFaultError' },
  status: { sdkCommand: 'GetItem', ownFunction: 'readRequestStatus', errorClass: 'RequestNotFoundError' },
} as const;

describe.each(['ingest', 'batch', 'status'] as const)('%s bundle', (name) => {
  const code = () => readFileSync(path.join(bundles[name], 'index.js'), 'utf8');

  it('is minified with an external source map, keeping the names of our functions and error classes', () => {
    const bundle = code();

    // Minified: long lines without the source's formatting (thousands of characters each on average).
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    // keepNames: a logged error says RequestRejectedError, not a one-letter class name.
    expect(bundle).toContain(`"${markers[name].errorClass}"`);
    expect(bundle).toContain(`"${markers[name].ownFunction}"`);
    expect(bundle.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
    expect(readFileSync(path.join(bundles[name], 'index.js.map'), 'utf8')).toContain(
      markers[name].ownFunction,
    );
  });

  it('includes the AWS SDK client and Powertools instead of loading them from the runtime', () => {
    const bundle = code();

    // Optional signers (@aws-sdk/signature-v4-crt, -v4a) stay guarded requires, as in the SDK itself.
    const runtimeRequires = bundle.match(
      /require\(["'](@aws-sdk\/client-|@aws-lambda-powertools\/|@smithy\/)[^"']*/g,
    );
    expect(runtimeRequires ?? []).toEqual([]);
    expect(bundle.includes(markers[name].sdkCommand)).toBe(true);
  });
});

describe.each(['ingest', 'batch', 'status'] as const)('%s bundle credentials', (name) => {
  it("reads the role's credentials from the environment and leaves out the STS and SSO clients", () => {
    const bundle = readFileSync(path.join(bundles[name], 'index.js'), 'utf8');

    expect(bundle).toContain('AWS_SESSION_TOKEN');
    expect(bundle).not.toContain('AssumeRoleWithWebIdentity');
    expect(bundle).not.toContain('GetRoleCredentials');
  });
});

describe('bundles in a fresh Node.js process', () => {
  const load = (dir: string, env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      ['-e', `console.log(typeof require(${JSON.stringify(`${dir}/index.js`)}).handler)`],
      {
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
        encoding: 'utf8',
      },
    );

  it('load and export a handler with the environment the stack gives them, logging the Node.js version once', () => {
    for (const name of ['ingest', 'batch', 'status'] as const) {
      const lines = load(bundles[name], environments[name]).stdout.trim().split('\n');

      expect(lines.at(-1)).toBe('function');
      const coldStarts = lines.slice(0, -1).map((line) => JSON.parse(line));
      expect(coldStarts).toEqual([
        expect.objectContaining({ message: 'Cold start', nodeVersion: process.version }),
      ]);
    }
  });

  it('fail at load with the name of a missing or invalid setting', () => {
    const { TOPIC_ARN: _, ...withoutTopicArn } = environments.ingest;
    const ingest = load(bundles.ingest, withoutTopicArn);
    const batch = load(bundles.batch, { ...environments.batch, FAULT_RATE: '2' });
    const status = load(bundles.status, { ...environments.status, STALE_AFTER_SECONDS: '0' });

    expect(ingest.status).not.toBe(0);
    expect(ingest.stderr).toContain('TOPIC_ARN must be set');
    expect(batch.status).not.toBe(0);
    expect(batch.stderr).toContain('FAULT_RATE must be a number from 0 to 1');
    expect(status.status).not.toBe(0);
    expect(status.stderr).toContain('STALE_AFTER_SECONDS must be an integer from 12');
  });
});
