import type {
  AttributeValue,
  BatchGetItemCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { type Analysis, DEFAULT_ANALYSES } from '../../lambdas/domain/analyses';
import {
  enqueuedUpdate,
  failedUpdate,
  redrivenUpdate,
  storedIndexesRequest,
  storedUpdate,
} from '../../lambdas/ledger/ledger-inputs';
import { lateUpdate } from '../../lambdas/windows/window-inputs';

/**
 * DynamoDB's own validation of sets and key lists, which emulators skip: a string, number or binary set
 * with a member twice is refused ("One or more parameter values were invalid: Input collection
 * contains duplicates"), and so is a BatchGetItem naming the same key twice. Every set the ledger and
 * the windows table write goes through here with duplicates in its input.
 */
class ValidationException extends Error {
  override readonly name = 'ValidationException';
}

function checkSets(values: Record<string, AttributeValue> | undefined): void {
  for (const [name, value] of Object.entries(values ?? {})) {
    const members = value.SS ?? value.NS ?? value.BS?.map(String);
    if (members !== undefined && new Set(members).size !== members.length) {
      throw new ValidationException(`${name}: Input collection contains duplicates`);
    }
    if (members !== undefined && members.length === 0) {
      throw new ValidationException(`${name}: An string set may not be empty`);
    }
  }
}

const acceptsUpdate = (input: UpdateItemCommandInput): void => checkSets(input.ExpressionAttributeValues);

function acceptsBatchGet(input: BatchGetItemCommandInput): void {
  for (const { Keys = [] } of Object.values(input.RequestItems ?? {})) {
    const keys = Keys.map((key) => JSON.stringify(key));
    if (new Set(keys).size !== keys.length)
      throw new ValidationException('Provided list of item keys contains duplicates');
  }
}

const [ANALYSIS] = DEFAULT_ANALYSES as [Analysis];
const CONTEXT = { tableName: 'ledger', now: new Date('2026-11-23T10:42:07Z'), retentionDays: 30 };
const REPEATED = [3, 1, 3, 2, 1];

describe("the sets DynamoDB's validation would refuse with duplicates", () => {
  it.each([
    ['stored indexes', () => storedUpdate('r-1', REPEATED, 'results/2026/11/23/10/42/a.json', CONTEXT)],
    ['failed indexes', () => failedUpdate('r-1', REPEATED, CONTEXT)],
    ['enqueued indexes', () => enqueuedUpdate('r-1', REPEATED, CONTEXT)],
    ['redriven indexes', () => redrivenUpdate('r-1', REPEATED, CONTEXT)],
    [
      'late items of a window',
      () =>
        lateUpdate(
          'windows',
          ANALYSIS,
          1_795_000_000,
          [
            { requestId: 'r-1', index: 0 },
            { requestId: 'r-1', index: 0 },
            { requestId: 'r-2', index: 0 },
          ],
          { settleMs: 3_000, retentionDays: 30 },
        ),
    ],
  ])('%s are sent each once', (_name, build) => {
    // Act
    const input = build();

    // Assert
    expect(() => acceptsUpdate(input)).not.toThrow();
    const sets = Object.values(input.ExpressionAttributeValues ?? {}).flatMap(
      (value) => value.SS ?? value.NS ?? [],
    );
    expect(sets.length).toBeGreaterThan(0);
  });

  it('sends the stored indexes 1, 2, 3 for [3, 1, 3, 2, 1]', () => {
    expect(
      storedUpdate('r-1', REPEATED, 'k', CONTEXT).ExpressionAttributeValues?.[':indexes']?.NS?.sort(),
    ).toEqual(['1', '2', '3']);
  });

  it('looks each request up once for the redelivery filter', () => {
    expect(() => acceptsBatchGet(storedIndexesRequest('ledger', ['r-1', 'r-2', 'r-1']))).not.toThrow();
    expect(storedIndexesRequest('ledger', ['r-1', 'r-2', 'r-1']).RequestItems?.ledger?.Keys).toHaveLength(2);
  });

  it('refuses what DynamoDB refuses, so the checks above can fail', () => {
    expect(() =>
      acceptsUpdate({ TableName: 't', Key: {}, ExpressionAttributeValues: { ':s': { NS: ['1', '1'] } } }),
    ).toThrow('Input collection contains duplicates');
    expect(() =>
      acceptsBatchGet({ RequestItems: { t: { Keys: [{ pk: { S: 'a' } }, { pk: { S: 'a' } }] } } }),
    ).toThrow('duplicates');
  });
});
