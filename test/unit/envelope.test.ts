import { describe, expect, it, vi } from 'vitest';
import {
  decodeEnvelope,
  deduplicationId,
  type Envelope,
  encodeEnvelope,
  GLOBAL_GROUP_ID,
  messageGroupId,
  requestIdFor,
} from '../../lambdas/domain/envelope';
import { MalformedEnvelopeError } from '../../lambdas/domain/errors';
import { FIXED_NOW, thrownBy } from './factories.ingest';

const envelope = (overrides: Partial<Envelope> = {}): Envelope => ({
  v: 1,
  item: 3,
  requestId: 'req-1',
  index: 2,
  acceptedAt: FIXED_NOW,
  ...overrides,
});

/** A valid envelope as a plain object, so single fields can be broken or removed. */
const fields = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...envelope(),
  ...overrides,
});

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('encodeEnvelope / decodeEnvelope', () => {
  it.each([
    { name: 'the contract example', value: envelope() },
    { name: 'a negative item at index 0', value: envelope({ item: -7, index: 0 }) },
    {
      name: 'the largest safe integer',
      value: envelope({ item: Number.MAX_SAFE_INTEGER, index: 499 }),
    },
  ])('round-trips $name', ({ value }) => {
    // Act
    const decoded = decodeEnvelope(encodeEnvelope(value));

    // Assert
    expect(decoded).toEqual(value);
  });

  it("encodes the versioned JSON shape of the contract's Messages", () => {
    // Act
    const body = JSON.parse(encodeEnvelope(envelope()));

    // Assert
    expect(body).toStrictEqual({ v: 1, item: 3, requestId: 'req-1', index: 2, acceptedAt: FIXED_NOW });
  });

  // The message is what the failure record of a malformed message says about it.
  it.each([
    { name: 'a body that is not JSON', body: '{"v":1,', message: 'Message body is not JSON' },
    { name: 'an empty body', body: '', message: 'Message body is not JSON' },
    { name: 'a JSON array', body: JSON.stringify([fields()]), message: 'Message body is not a JSON object' },
    { name: 'JSON null', body: 'null', message: 'Message body is not a JSON object' },
    { name: 'a JSON number', body: '3', message: 'Message body is not a JSON object' },
    { name: 'version 2', body: JSON.stringify(fields({ v: 2 })), message: 'Unsupported envelope version 2' },
    {
      name: 'no version',
      body: JSON.stringify(fields({ v: undefined })),
      message: 'Unsupported envelope version undefined',
    },
    {
      name: 'a missing item',
      body: JSON.stringify(fields({ item: undefined })),
      message: 'item is not a safe integer',
    },
    {
      name: 'a float item',
      body: JSON.stringify(fields({ item: 1.5 })),
      message: 'item is not a safe integer',
    },
    {
      name: 'a string item',
      body: JSON.stringify(fields({ item: '3' })),
      message: 'item is not a safe integer',
    },
    {
      name: 'an empty requestId',
      body: JSON.stringify(fields({ requestId: '' })),
      message: 'requestId is missing',
    },
    {
      name: 'a numeric requestId',
      body: JSON.stringify(fields({ requestId: 42 })),
      message: 'requestId is missing',
    },
    { name: 'a negative index', body: JSON.stringify(fields({ index: -1 })), message: 'index is invalid' },
    { name: 'a float index', body: JSON.stringify(fields({ index: 0.5 })), message: 'index is invalid' },
    {
      name: 'an acceptedAt that is not a date',
      body: JSON.stringify(fields({ acceptedAt: 'yesterday' })),
      message: 'acceptedAt is not a date',
    },
    {
      name: 'a numeric acceptedAt (a year, which Date.parse would read as a date)',
      body: JSON.stringify(fields({ acceptedAt: 2026 })),
      message: 'acceptedAt is not a date',
    },
    {
      name: 'a missing acceptedAt',
      body: JSON.stringify(fields({ acceptedAt: undefined })),
      message: 'acceptedAt is not a date',
    },
  ])('rejects $name with MalformedEnvelopeError "$message"', ({ body, message }) => {
    // Act
    const error = thrownBy(() => decodeEnvelope(body));

    // Assert
    expect(error).toBeInstanceOf(MalformedEnvelopeError);
    expect((error as MalformedEnvelopeError).code).toBe('MALFORMED_ENVELOPE');
    expect((error as MalformedEnvelopeError).message).toBe(message);
  });
});

describe('requestIdFor', () => {
  const neverCalled = (): string => {
    throw new Error('a keyed request must not use a random id');
  };

  it('derives the same UUID-shaped id from the same key and caller', () => {
    // Act
    const first = requestIdFor('order-42', 'key-id-1', neverCalled);
    const second = requestIdFor('order-42', 'key-id-1', neverCalled);

    // Assert
    expect(first).toBe(second);
    expect(first).toMatch(UUID_SHAPE);
  });

  it.each([
    { name: 'another caller sends the same key', key: 'order-42', scope: 'key-id-2' },
    { name: 'the same caller sends another key', key: 'order-43', scope: 'key-id-1' },
  ])('derives a different id when $name', ({ key, scope }) => {
    // Prepare
    const original = requestIdFor('order-42', 'key-id-1', neverCalled);

    // Act
    const other = requestIdFor(key, scope, neverCalled);

    // Assert
    expect(other).not.toBe(original);
  });

  it('uses the random id when there is no key', () => {
    // Prepare
    const randomId = vi.fn(() => 'random-1');

    // Act
    const id = requestIdFor(undefined, 'key-id-1', randomId);

    // Assert
    expect(id).toBe('random-1');
    expect(randomId).toHaveBeenCalledOnce();
  });
});

describe('deduplicationId', () => {
  it('is never content-based: two requests that both send item 1 get distinct ids', () => {
    // Prepare: both requests carry item 1 at index 0.
    const first = envelope({ requestId: 'req-a', item: 1, index: 0 });
    const second = envelope({ requestId: 'req-b', item: 1, index: 0 });

    // Act
    const ids = [
      deduplicationId(first.requestId, first.index),
      deduplicationId(second.requestId, second.index),
    ];

    // Assert
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('distinguishes the same item sent twice within one request', () => {
    // Act
    const ids = [deduplicationId('req-a', 0), deduplicationId('req-a', 1)];

    // Assert
    expect(ids).toEqual(['req-a:0', 'req-a:1']);
  });
});

describe('messageGroupId', () => {
  it.each([
    { ordering: 'perRequest', expected: 'req-1' },
    { ordering: 'global', expected: GLOBAL_GROUP_ID },
  ] as const)('uses $expected as the group for ordering $ordering', ({ ordering, expected }) => {
    // Act
    const group = messageGroupId(ordering, 'req-1');

    // Assert
    expect(group).toBe(expected);
  });

  it('puts every request in the one group "global" when ordering is global', () => {
    // Act
    const groups = new Set(['req-1', 'req-2', 'req-3'].map((id) => messageGroupId('global', id)));

    // Assert
    expect([...groups]).toEqual(['global']);
  });
});
