import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../lambdas/domain/envelope';
import { itemsHash } from '../../lambdas/domain/ledger';
import {
  mappingSettingsOf,
  queueAttributesToCopy,
  referenceFunctionRequest,
} from '../bench/consumer-settings';
import { ingestLedgerWrites, ingestMessageBatches } from '../bench/queue-feed';
import { parseReferenceLogLine, referenceLogLine } from '../bench/reference-consumer/log-line';
import { ratesAroundSends, ratioToBaseline, rotated } from '../bench/round-summary';
import { zipArchive } from '../bench/zip';

const STACK_QUEUE = {
  VisibilityTimeout: '12',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '1209600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
  RedrivePolicy:
    '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:items-dlq.fifo","maxReceiveCount":3}',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'messageGroup',
  FifoThroughputLimit: 'perMessageGroupId',
  QueueArn: 'arn:aws:sqs:us-east-1:000000000000:items.fifo',
  CreatedTimestamp: '1795621119',
  LastModifiedTimestamp: '1795621119',
  FifoQueue: 'true',
  Policy: '{"Statement":[]}',
  ApproximateNumberOfMessages: '0',
  ApproximateNumberOfMessagesNotVisible: '0',
  ApproximateNumberOfMessagesDelayed: '0',
};

describe('queueAttributesToCopy', () => {
  it("keeps what makes the stack's queue behave as it does and leaves its identity, policy and counts", () => {
    // Act
    const copied = queueAttributesToCopy(STACK_QUEUE);

    // Assert
    expect(copied).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: '12',
      MessageRetentionPeriod: '1209600',
      MaximumMessageSize: '1048576',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      RedrivePolicy: STACK_QUEUE.RedrivePolicy,
      SqsManagedSseEnabled: 'true',
    });
  });

  it('refuses a queue that is not FIFO: the benchmark would measure another kind of queue', () => {
    expect(() => queueAttributesToCopy({ ...STACK_QUEUE, FifoQueue: 'false' })).toThrow(/not a FIFO/);
  });
});

describe('mappingSettingsOf', () => {
  it("repeats the batch function's batch size, response types, batching window and concurrency", () => {
    // Act
    const settings = mappingSettingsOf({
      UUID: 'u',
      EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:items.fifo',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:batch',
      State: 'Enabled',
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });

    // Assert
    expect(settings).toEqual({
      BatchSize: 5,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });
});

describe('referenceFunctionRequest', () => {
  it('creates the reference like the batch function, with only its name and code its own', () => {
    // Arrange
    const zip = new Uint8Array([1, 2, 3]);

    // Act
    const request = referenceFunctionRequest(
      {
        FunctionName: 'batch',
        Runtime: 'nodejs24.x',
        Role: 'arn:aws:iam::000000000000:role/batch',
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 2,
        Architectures: ['arm64'],
        Environment: { Variables: { BUCKET_NAME: 'results', NODE_OPTIONS: '--enable-source-maps' } },
      },
      'bench-reference-one-put',
      zip,
    );

    // Assert
    expect(request).toEqual({
      FunctionName: 'bench-reference-one-put',
      Runtime: 'nodejs24.x',
      Role: 'arn:aws:iam::000000000000:role/batch',
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 2,
      Architectures: ['arm64'],
      Environment: { Variables: { BUCKET_NAME: 'results', NODE_OPTIONS: '--enable-source-maps' } },
      Code: { ZipFile: zip },
    });
  });
});

describe('ingestMessageBatches', () => {
  const requests = [
    { requestId: 'r1', items: [1, 2, 3, 4] },
    { requestId: 'r2', items: [5, 6, 7, 8] },
    { requestId: 'r3', items: [9, 0, 1, 2] },
  ];
  const acceptedAt = '2026-11-25T10:00:00.000Z';

  it("sends the ingest function's envelopes, one group per request, deduplication ids <request>:<index>", () => {
    // Act
    const entries = ingestMessageBatches(requests, acceptedAt, 'perRequest').flatMap(
      (batch) => batch.entries,
    );

    // Assert
    expect(entries.map((entry) => decodeEnvelope(entry.MessageBody ?? ''))).toEqual(
      requests.flatMap(({ requestId, items }) =>
        items.map((item, index) => ({ v: 1, item, requestId, index, acceptedAt })),
      ),
    );
    expect(entries.map((entry) => entry.MessageGroupId)).toEqual(
      requests.flatMap(({ requestId, items }) => items.map(() => requestId)),
    );
    expect(entries.slice(0, 5).map((entry) => entry.MessageDeduplicationId)).toEqual([
      'r1:0',
      'r1:1',
      'r1:2',
      'r1:3',
      'r2:0',
    ]);
  });

  it('packs 10 to a batch in send order, with ids unique in each batch, and says where each request starts', () => {
    // Act
    const batches = ingestMessageBatches(requests, acceptedAt, 'perRequest');

    // Assert
    expect(batches.map((batch) => batch.entries.length)).toEqual([10, 2]);
    expect(batches.map((batch) => batch.entries.map((entry) => entry.Id))).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['0', '1'],
    ]);
    expect(batches.map((batch) => batch.startsRequests)).toEqual([['r1', 'r2', 'r3'], []]);
  });

  it("sends per request as the ingest function does: each request's own chunks of 10", () => {
    // Arrange
    const large = { requestId: 'r4', items: Array.from({ length: 12 }, (_, index) => index) };

    // Act
    const batches = ingestMessageBatches([...requests, large], acceptedAt, 'perRequest', {
      perRequest: true,
    });

    // Assert
    expect(batches.map((batch) => batch.entries.length)).toEqual([4, 4, 4, 10, 2]);
    expect(batches.map((batch) => batch.startsRequests)).toEqual([['r1'], ['r2'], ['r3'], ['r4'], []]);
  });

  it('puts every message in one group under global ordering', () => {
    const batches = ingestMessageBatches(requests, acceptedAt, 'global');
    expect(new Set(batches.flatMap((batch) => batch.entries.map((entry) => entry.MessageGroupId)))).toEqual(
      new Set(['global']),
    );
  });
});

describe('ingestLedgerWrites', () => {
  it("writes the entry ingest writes before enqueueing: owner, count and hash of each request's items", () => {
    // Act
    const [write] = ingestLedgerWrites(
      [{ requestId: 'r1', items: [1, 2, 3, 4] }],
      new Date('2026-11-25T10:00:00.000Z'),
      {
        tableName: 'ledger',
        retentionDays: 30,
        idempotencyWindowHours: 24,
        apiKeyId: 'key-1',
      },
    );

    // Assert
    expect(write?.TableName).toBe('ledger');
    expect(write?.Key).toEqual({ pk: { S: 'request#r1' } });
    expect(write?.ExpressionAttributeValues).toMatchObject({
      ':apiKeyId': { S: 'key-1' },
      ':itemCount': { N: '4' },
      ':itemsHash': { S: itemsHash([1, 2, 3, 4]) },
      ':acceptedAt': { S: '2026-11-25T10:00:00.000Z' },
    });
  });
});

describe('reference log line', () => {
  it('reads back what the consumer printed, inside the runtime prefix of the log line', () => {
    const line = `2026-11-25T10:00:00.000Z\tabc\tINFO\t${referenceLogLine({ records: 5, at: 1_795_000_000_123 })}`;
    expect(parseReferenceLogLine(line)).toEqual({ records: 5, at: 1_795_000_000_123 });
  });

  it.each(['START RequestId: abc Version: $LATEST', 'BENCH_REFERENCE {"records":"5","at":1}'])(
    'ignores any other line: %s',
    (line) => {
      expect(parseReferenceLogLine(line)).toBeUndefined();
    },
  );
});

describe('ratioToBaseline', () => {
  it('divides round by round and takes the median of those ratios', () => {
    // Act
    const ratio = ratioToBaseline([150, 100, 300], [300, 100, 400]);

    // Assert
    expect(ratio.perRound).toEqual([0.5, 1, 0.75]);
    expect(ratio.median).toBe(0.75);
  });

  it('refuses rounds that do not pair up', () => {
    expect(() => ratioToBaseline([1, 2], [1])).toThrow(/same rounds/);
    expect(() => ratioToBaseline([], [])).toThrow(/same rounds/);
  });
});

describe('rotated', () => {
  it('gives each variant every place in turn across rounds', () => {
    expect([0, 1, 2, 3].map((round) => rotated(['a', 'b', 'c'], round))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
  });
});

describe('ratesAroundSends', () => {
  it('counts items consumed by the end of the sends per second of sending, and the rest per second after', () => {
    // Arrange: sends from 0 to 2000 ms; 100 items by then, 300 more by 3000 ms
    const consumedAt = [
      ...Array.from({ length: 100 }, () => 1500),
      ...Array.from({ length: 300 }, () => 3000),
    ];

    // Act
    const rates = ratesAroundSends(consumedAt, 0, 2000);

    // Assert
    expect(rates).toEqual({ duringSends: 50, afterSends: 300 });
  });

  it('leaves a phase without items unmeasured rather than zero or infinite', () => {
    expect(ratesAroundSends([500, 800], 0, 1000)).toEqual({ duringSends: 2, afterSends: undefined });
    expect(ratesAroundSends([], 0, 1000)).toEqual({ duringSends: undefined, afterSends: undefined });
  });
});

describe('zipArchive', () => {
  /** Reads a zip's central directory back: name and inflated data of each entry. */
  function unzip(zip: Buffer): { name: string; data: string }[] {
    const end = zip.length - 22;
    expect(zip.readUInt32LE(end)).toBe(0x06054b50);
    const entries: { name: string; data: string }[] = [];
    let at = zip.readUInt32LE(end + 16);
    for (let entry = 0; entry < zip.readUInt16LE(end + 10); entry += 1) {
      expect(zip.readUInt32LE(at)).toBe(0x02014b50);
      const compressedSize = zip.readUInt32LE(at + 20);
      const nameLength = zip.readUInt16LE(at + 28);
      const local = zip.readUInt32LE(at + 42);
      expect(zip.readUInt32LE(local)).toBe(0x04034b50);
      const dataAt = local + 30 + zip.readUInt16LE(local + 26);
      entries.push({
        name: zip.toString('utf8', at + 46, at + 46 + nameLength),
        data: inflateRawSync(zip.subarray(dataAt, dataAt + compressedSize)).toString('utf8'),
      });
      at += 46 + nameLength;
    }
    return entries;
  }

  it('holds each file under its name, deflated, findable from the central directory', () => {
    // Arrange
    const files = [
      { name: 'index.js', data: Buffer.from('exports.handler = async () => 1;\n'.repeat(50)) },
      { name: 'index.js.map', data: Buffer.from('{"version":3}') },
    ];

    // Act
    const zip = zipArchive(files);

    // Assert
    expect(unzip(zip)).toEqual(files.map(({ name, data }) => ({ name, data: data.toString('utf8') })));
    expect(zip.length).toBeLessThan(files.reduce((sum, file) => sum + file.data.length, 0));
  });
});
