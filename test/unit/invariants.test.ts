import { describe, expect, it } from 'vitest';
import type { StoredObject } from '../../cdk/ops/bucket';
import {
  type AcceptedRequest,
  type Audit,
  type AuditInput,
  auditInvariants,
  violationsOf,
} from '../../cdk/ops/invariants';
import { failureKey, minuteLabel, minutePath } from '../../lambdas/domain/keys';
import type { FailureRecord, ResultsObject } from '../../lambdas/domain/stored-objects';
import { ACCEPTED_AT, messageIdOf, requestIdOf } from './factories.batch';

/** The minute every object is written in unless a test moves it: 10:42 UTC. */
const MINUTE = '2026-11-23T10:42:00.000Z';

/** The moment `seconds` after the start of MINUTE (negative: before it, 60 or more: a later minute). */
const second = (seconds: number): Date => new Date(Date.parse(MINUTE) + seconds * 1000);

/** One stored item: its group (request `req-<group>`), its index in the request and its value. */
type Entry = readonly [group: string, index: number, item: number];

/** The entries of `items` of one request, indexes counting up from `firstIndex`. */
const run = (group: string, items: readonly number[], firstIndex = 0): Entry[] =>
  items.map((item, offset) => [group, firstIndex + offset, item]);

interface ObjectSpec {
  readonly entries: readonly Entry[];
  /** When the batch writer wrote the object; key, body minute and LastModified follow it by default. */
  readonly writtenAt?: Date;
  /** The minute the key is built from. */
  readonly keyMinute?: Date;
  /** `body.minute` as stored. */
  readonly bodyMinute?: string;
  /** S3 LastModified; by default 150 ms after the write. */
  readonly lastModified?: Date;
}

/** A results object as the batch writer stores it, valid unless a field is overridden. */
function resultObject({
  entries,
  writtenAt = second(7),
  keyMinute = writtenAt,
  bodyMinute = minuteLabel(writtenAt),
  lastModified = new Date(writtenAt.getTime() + 150),
}: ObjectSpec): StoredObject<ResultsObject> {
  const id = entries.map(([group, index]) => `${group}${index}`).join('-');
  return {
    key: `results/${minutePath(keyMinute)}/${id}-${writtenAt.getTime()}.json`,
    lastModified,
    body: {
      v: 1,
      minute: bodyMinute,
      writtenAt: writtenAt.toISOString(),
      items: entries.map(([group, index, item]) => ({
        item,
        requestId: requestIdOf(group),
        index,
        messageId: messageIdOf(group, index),
        groupId: requestIdOf(group),
        acceptedAt: ACCEPTED_AT,
      })),
    },
  };
}

/** What the API told the client for one request: its id and items in order. */
const accepted = (group: string, items: readonly number[]): AcceptedRequest => ({
  requestId: requestIdOf(group),
  items,
});

/** The failure record of an item that exhausted its retries (it is also in the dead-letter queue). */
const failureRecord = (group: string, index: number): StoredObject<FailureRecord> => ({
  key: failureKey(second(30), messageIdOf(group, index)),
  lastModified: second(30),
  body: {
    v: 1,
    minute: minuteLabel(second(30)),
    writtenAt: second(30).toISOString(),
    reason: 'write_failed',
    error: 'InjectedFaultError: FAULT_ITEMS: item 13 always fails',
    messageId: messageIdOf(group, index),
    groupId: requestIdOf(group),
    receiveCount: 3,
    item: 13,
    requestId: requestIdOf(group),
    index,
    acceptedAt: ACCEPTED_AT,
  },
});

/** The failure record of a message that was not a valid envelope: it names no request or index. */
const malformedRecord = (messageId: string): StoredObject<FailureRecord> => {
  const { body } = failureRecord('A', 0);
  return {
    key: failureKey(second(30), messageId),
    lastModified: second(30),
    body: {
      v: 1,
      minute: body.minute,
      writtenAt: body.writtenAt,
      reason: 'malformed',
      error: 'Message body is not JSON',
      messageId,
      groupId: '',
      receiveCount: 1,
      body: 'not json',
    },
  };
};

type AuditCase = Partial<AuditInput> & Pick<AuditInput, 'accepted' | 'results'>;

/** Audits with the production settings (batch size 5, pair 1:2, no failures) unless overridden. */
const audit = (input: AuditCase): Audit =>
  auditInvariants({ failures: [], batchSize: 5, exclusionPairs: [[1, 2]], ...input });

/** The names of the lists that report something, e.g. `['lost']`. */
const reported = (result: Audit): string[] =>
  Object.entries(result)
    .filter(([, entries]) => (entries as string[]).length > 0)
    .map(([list]) => list);

const NOTHING_REPORTED: Audit = {
  lost: [],
  duplicates: [],
  exclusionViolations: [],
  oversize: [],
  misplaced: [],
  outOfOrder: [],
  enqueuedOutOfOrder: [],
  altered: [],
};

/** Three items of request A, all plain (no excluded pair), the base most cases break. */
const A_ITEMS = [3, 4, 5];

describe('auditInvariants', () => {
  it('reports nothing for the contract example stored as valid objects', () => {
    // Prepare: requests [1,2,3,4], [5,7,8], [1], [2], [1,2,3,4,5], each cut before a 2 that follows a 1.
    const input: AuditCase = {
      accepted: [
        accepted('A', [1, 2, 3, 4]),
        accepted('B', [5, 7, 8]),
        accepted('C', [1]),
        accepted('D', [2]),
        accepted('E', [1, 2, 3, 4, 5]),
      ],
      results: [
        resultObject({ entries: run('A', [1]), writtenAt: second(1) }),
        resultObject({ entries: run('A', [2, 3, 4], 1), writtenAt: second(2) }),
        resultObject({ entries: run('B', [5, 7, 8]), writtenAt: second(2) }),
        resultObject({ entries: run('C', [1]), writtenAt: second(3) }),
        resultObject({ entries: run('D', [2]), writtenAt: second(3) }),
        resultObject({ entries: run('E', [1]), writtenAt: second(4) }),
        resultObject({ entries: run('E', [2, 3, 4, 5], 1), writtenAt: second(59.9) }),
      ],
    };

    // Act
    const result = audit(input);

    // Assert
    expect(result).toEqual(NOTHING_REPORTED);
    expect(violationsOf(result)).toEqual([]);
  });

  it.each<{ name: string; input: AuditCase; list: keyof Audit; mentions: string }>([
    {
      name: 'an accepted item in no object and no failure record',
      input: { accepted: [accepted('A', A_ITEMS)], results: [resultObject({ entries: run('A', [3, 4]) })] },
      list: 'lost',
      mentions: 'req-A#2',
    },
    {
      name: 'an accepted item whose only failure record is of another index',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', [3, 4]) })],
        failures: [failureRecord('A', 1)],
      },
      list: 'lost',
      mentions: 'req-A#2',
    },
    {
      name: 'an accepted item whose failure record names no request and index (malformed)',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', [3, 4]) })],
        failures: [malformedRecord(messageIdOf('A', 2))],
      },
      list: 'lost',
      mentions: 'req-A#2',
    },
    {
      name: 'an item stored twice (a redelivery written again in a later object)',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(7) }),
          resultObject({ entries: run('A', [5], 2), writtenAt: second(40) }),
        ],
      },
      list: 'duplicates',
      mentions: 'req-A#2 stored 2 times',
    },
    {
      name: 'an object holding 1 and 2 under the default pair',
      input: { accepted: [accepted('A', [1, 2])], results: [resultObject({ entries: run('A', [1, 2]) })] },
      list: 'exclusionViolations',
      mentions: 'holds both 1 and 2',
    },
    {
      name: 'an object holding 3 and 4 under a configured pair 3:4',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', A_ITEMS) })],
        exclusionPairs: [
          [1, 2],
          [3, 4],
        ],
      },
      list: 'exclusionViolations',
      mentions: 'holds both 3 and 4',
    },
    {
      name: '6 items in one object with batch size 5',
      input: {
        accepted: [accepted('A', [3, 4, 5, 6, 7, 8])],
        results: [resultObject({ entries: run('A', [3, 4, 5, 6, 7, 8]) })],
      },
      list: 'oversize',
      mentions: 'holds 6 items (batch size 5)',
    },
    {
      name: 'a key under the minute before the write',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', A_ITEMS), keyMinute: second(-1) })],
      },
      list: 'misplaced',
      mentions: 'results/2026/11/23/10/41/',
    },
    {
      name: 'a body minute other than the minute of the write',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(7), bodyMinute: '2026-11-23T10:43Z' }),
        ],
      },
      list: 'misplaced',
      mentions: 'written 2026-11-23T10:42:07.000Z',
    },
    {
      name: 'LastModified 10 s after the minute ended',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(59.5), lastModified: second(70) }),
        ],
      },
      list: 'misplaced',
      mentions: 'stored 2026-11-23T10:43:10.000Z',
    },
    {
      name: 'LastModified before the minute started',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(0.5), lastModified: second(-1) }),
        ],
      },
      list: 'misplaced',
      mentions: 'stored 2026-11-23T10:41:59.000Z',
    },
    {
      name: 'index 2 written before index 1 in separate objects',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', [3]), writtenAt: second(1) }),
          resultObject({ entries: run('A', [5], 2), writtenAt: second(2) }),
          resultObject({ entries: run('A', [4], 1), writtenAt: second(3) }),
        ],
      },
      list: 'outOfOrder',
      mentions: 'req-A stored in order 0,2,1',
    },
    {
      name: 'index 2 before index 1 within one object',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({
            entries: [
              ['A', 0, 3],
              ['A', 2, 5],
              ['A', 1, 4],
            ],
          }),
        ],
      },
      list: 'outOfOrder',
      mentions: 'req-A stored in order 0,2,1',
    },
    {
      name: 'index 1 stored last after the ingest answer said SQS took it after index 2',
      input: {
        accepted: [{ ...accepted('A', A_ITEMS), enqueuedOutOfOrder: [1] }],
        results: [
          resultObject({ entries: run('A', [3]), writtenAt: second(1) }),
          resultObject({ entries: run('A', [5], 2), writtenAt: second(2) }),
          resultObject({ entries: run('A', [4], 1), writtenAt: second(3) }),
        ],
      },
      list: 'enqueuedOutOfOrder',
      mentions: 'req-A#1',
    },
    {
      name: 'an item stored with another value than accepted',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', [3, 9, 5]) })],
      },
      list: 'altered',
      mentions: 'req-A#1 stored as 9, accepted as 4',
    },
    {
      name: 'an object of an unknown request holding 1 and 2',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', A_ITEMS) }), resultObject({ entries: run('X', [1, 2]) })],
      },
      list: 'exclusionViolations',
      mentions: 'holds both 1 and 2',
    },
    {
      name: 'an object of an unknown request holding 6 items',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS) }),
          resultObject({ entries: run('X', [3, 4, 5, 6, 7, 8]) }),
        ],
      },
      list: 'oversize',
      mentions: 'holds 6 items',
    },
    {
      name: 'an object of an unknown request under the wrong minute',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS) }),
          resultObject({ entries: run('X', [3]), keyMinute: second(60) }),
        ],
      },
      list: 'misplaced',
      mentions: 'results/2026/11/23/10/43/X0',
    },
  ])('reports $name under $list only', ({ input, list, mentions }) => {
    // Act
    const result = audit(input);

    // Assert
    expect(reported(result)).toEqual([list]);
    expect(result[list]).toHaveLength(1);
    expect(result[list][0]).toContain(mentions);
  });

  it.each<{ name: string; input: AuditCase }>([
    {
      name: 'an item missing from the results that has a failure record',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [resultObject({ entries: run('A', [3, 4]) })],
        failures: [failureRecord('A', 2)],
      },
    },
    {
      name: 'an object holding 1 and 2 when 1:2 is not a configured pair',
      input: {
        accepted: [accepted('A', [1, 2])],
        results: [resultObject({ entries: run('A', [1, 2]) })],
        exclusionPairs: [[3, 4]],
      },
    },
    {
      name: 'an object holding 1 and 2 with no exclusion pairs at all',
      input: {
        accepted: [accepted('A', [1, 2])],
        results: [resultObject({ entries: run('A', [1, 2]) })],
        exclusionPairs: [],
      },
    },
    {
      name: '6 items in one object with batch size 6',
      input: {
        accepted: [accepted('A', [3, 4, 5, 6, 7, 8])],
        results: [resultObject({ entries: run('A', [3, 4, 5, 6, 7, 8]) })],
        batchSize: 6,
      },
    },
    {
      name: 'LastModified 3 s after the minute ended',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(59.5), lastModified: second(63) }),
        ],
      },
    },
    {
      name: 'LastModified exactly 5 s after the minute ended',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(59.5), lastModified: second(65) }),
        ],
      },
    },
    {
      name: 'an item redriven from the dead-letter queue (it has a failure record) stored after later items',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', [3]), writtenAt: second(1) }),
          resultObject({ entries: run('A', [5], 2), writtenAt: second(2) }),
          resultObject({ entries: run('A', [4], 1), writtenAt: second(3) }),
        ],
        failures: [failureRecord('A', 1)],
      },
    },
    {
      name: 'objects listed out of order that were written in order',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', [4, 5], 1), writtenAt: second(20) }),
          resultObject({ entries: run('A', [3]), writtenAt: second(10) }),
        ],
      },
    },
    {
      name: 'two segments of one request written in the same millisecond, listed later one first',
      input: {
        accepted: [accepted('A', [1, 2, 3])],
        results: [
          resultObject({ entries: run('A', [2, 3], 1), writtenAt: second(7) }),
          resultObject({ entries: run('A', [1]), writtenAt: second(7) }),
        ],
      },
    },
    {
      name: 'objects of several requests written in the same millisecond',
      input: {
        accepted: [accepted('A', A_ITEMS), accepted('B', [6, 7, 8]), accepted('C', [9])],
        results: [
          resultObject({
            entries: [
              ['A', 1, 4],
              ['B', 2, 8],
            ],
            writtenAt: second(7),
          }),
          resultObject({
            entries: [
              ['A', 2, 5],
              ['C', 0, 9],
            ],
            writtenAt: second(7),
          }),
          resultObject({
            entries: [
              ['A', 0, 3],
              ['B', 0, 6],
              ['B', 1, 7],
            ],
            writtenAt: second(6),
          }),
        ],
      },
    },
    {
      name: 'items of a request that was not accepted, stored twice and out of order',
      input: {
        accepted: [accepted('A', A_ITEMS)],
        results: [
          resultObject({ entries: run('A', A_ITEMS), writtenAt: second(1) }),
          resultObject({ entries: run('X', [8], 1), writtenAt: second(2) }),
          resultObject({ entries: run('X', [7, 8]), writtenAt: second(3) }),
        ],
      },
    },
  ])('reports nothing for $name', ({ input }) => {
    // Act
    const result = audit(input);

    // Assert
    expect(result).toEqual(NOTHING_REPORTED);
  });
});

describe('violationsOf', () => {
  it('includes every list but duplicates, which invariant 6 only counts, and what ingest reported', () => {
    // Prepare
    const result: Audit = {
      lost: ['lost'],
      duplicates: ['duplicate'],
      exclusionViolations: ['exclusion'],
      oversize: ['oversize'],
      misplaced: ['misplaced'],
      outOfOrder: ['order'],
      enqueuedOutOfOrder: ['reported at ingest'],
      altered: ['altered'],
    };

    // Act
    const violations = violationsOf(result);

    // Assert
    expect([...violations].sort()).toEqual([
      'altered',
      'exclusion',
      'lost',
      'misplaced',
      'order',
      'oversize',
    ]);
  });

  it('is empty for a run whose only finding is a duplicate', () => {
    // Prepare
    const result = audit({
      accepted: [accepted('A', A_ITEMS)],
      results: [
        resultObject({ entries: run('A', A_ITEMS), writtenAt: second(7) }),
        resultObject({ entries: run('A', A_ITEMS), writtenAt: second(40) }),
      ],
    });

    // Act
    const violations = violationsOf(result);

    // Assert
    expect(result.duplicates).toHaveLength(3);
    expect(violations).toEqual([]);
  });
});
