import {
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { measureAnalysisUnits } from '../bench/analysis-units';
import { pricedTable } from '../bench/priced-table';

describe('pricedTable', () => {
  let table: ReturnType<typeof pricedTable> | undefined;
  afterEach(() => table?.restore());

  const seed = async (client: DynamoDBClient) => {
    for (const [pk, sk, pad] of [
      ['window#a', '2026-11-23T10:00:00.000Z', 10],
      ['window#a', '2026-11-23T10:00:10.000Z', 3_000],
      ['window#a', '2026-11-23T10:00:20.000Z', 10],
      ['window#b', '2026-11-23T10:00:10.000Z', 10],
    ] as const) {
      await client.send(
        new PutItemCommand({
          TableName: 't',
          Item: { pk: { S: pk }, sk: { S: sk }, pad: { S: 'x'.repeat(pad) } },
        }),
      );
    }
  };

  it('answers a range of one partition in sort key order and prices it by the bytes read', async () => {
    // Prepare
    table = pricedTable(['pk', 'sk']);
    const client = new DynamoDBClient({ region: 'us-east-1' });
    await seed(client);
    table.take();

    // Act
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: 't',
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :last',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: {
          ':pk': { S: 'window#a' },
          ':from': { S: '2026-11-23T10:00:10.000Z' },
          ':last': { S: '2026-11-23T10:00:29.999Z' },
        },
        ConsistentRead: true,
      }),
    );
    const meter = table.take();

    // Assert: rows of about 3 KB and 60 B, under 4 KB together: one read unit, strongly consistent
    expect(Items.map((item) => item.sk?.S)).toStrictEqual([
      '2026-11-23T10:00:10.000Z',
      '2026-11-23T10:00:20.000Z',
    ]);
    expect(meter).toStrictEqual({ calls: { QueryCommand: 1 }, writeUnits: 0, readUnits: 1 });
  });

  it('prices writes by the larger of before and after, and an eventually consistent read at half', async () => {
    // Prepare
    table = pricedTable(['pk', 'sk']);
    const client = new DynamoDBClient({ region: 'us-east-1' });
    await seed(client);
    const seeded = table.take();
    const key = { pk: { S: 'window#a' }, sk: { S: '2026-11-23T10:00:10.000Z' } };

    // Act
    await client.send(
      new UpdateItemCommand({
        TableName: 't',
        Key: key,
        UpdateExpression: 'SET #pad = :pad',
        ExpressionAttributeNames: { '#pad': 'pad' },
        ExpressionAttributeValues: { ':pad': { S: 'small' } },
      }),
    );
    const { Item } = await client.send(new GetItemCommand({ TableName: 't', Key: key }));
    const meter = table.take();

    // Assert: 3 KB before, so 3 units; a read of a small item, eventually consistent
    expect(seeded.writeUnits).toBe(1 + 3 + 1 + 1);
    expect(Item?.pad).toStrictEqual({ S: 'small' });
    expect(meter.writeUnits).toBe(3);
    expect(meter.readUnits).toBe(0.5);
  });

  it('refuses a call it does not price', async () => {
    table = pricedTable(['pk']);
    const client = new DynamoDBClient({ region: 'us-east-1' });
    await client.send(new ListTablesCommand({}));
    expect(() => table?.take()).toThrow(/does not price ListTablesCommand/);
  });
});

describe('measureAnalysisUnits', () => {
  // A slow stream keeps the test quick; the consumer's units per item do not depend on the rate.
  it.each([
    { itemsPerRequest: 1, writeUnits: 1 },
    { itemsPerRequest: 4, writeUnits: 0.3 },
    { itemsPerRequest: 100, writeUnits: 0.14 },
  ])(
    'writes $writeUnits units per item at $itemsPerRequest items per POST, and 7/6 per window',
    async ({ itemsPerRequest, writeUnits }) => {
      // Act
      const units = await measureAnalysisUnits(itemsPerRequest, 20);

      // Assert
      expect(units.consumerWriteUnitsPerItem).toBeCloseTo(writeUnits, 9);
      expect(units.consumerReadUnitsPerItem).toBe(0);
      expect(units.invocationsPerItem).toBe(0.1);
      // A run closes 6 windows: a final row each, the watermark once; 11 pane queries and a window-row query.
      expect(units.closerWriteUnitsPerWindow).toBeCloseTo(7 / 6, 9);
      expect(units.closerCallsPerWindow.QueryCommand).toBeCloseTo(2, 9);
      expect(units.objectsPerWindow).toBe(1);
    },
  );
});
