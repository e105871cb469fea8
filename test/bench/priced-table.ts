import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  consistentReadUnits,
  type DynamoItem,
  dynamoDbItemBytes,
  itemAfterUpdate,
  writeUnits,
} from './cost-model';

/**
 * A DynamoDB table in memory behind a mocked client, answering the calls the functions make
 * (conditions taken as met: a first attempt's) and pricing each by DynamoDB's rules (cost-model.ts).
 * Any other command, or a key condition it does not model, fails the measurement, so nothing goes
 * unpriced. Every DynamoDBClient in the process talks to it until `restore()`.
 */

/** What the calls cost in one phase of a run. */
export interface TableMeter {
  /** Calls by command, e.g. `UpdateItemCommand`. */
  readonly calls: Record<string, number>;
  readonly writeUnits: number;
  readonly readUnits: number;
}

/** An eventually consistent read costs half a strongly consistent one. */
const readUnits = (bytes: number, consistent: boolean | undefined): number =>
  consistentReadUnits(bytes) * (consistent ? 1 : 0.5);

const PARTITION_ONLY = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/;
const PARTITION_AND_RANGE = /^\s*(#?\w+)\s*=\s*(:\w+)\s+AND\s+(#?\w+)\s+BETWEEN\s+(:\w+)\s+AND\s+(:\w+)\s*$/;

/** `keyNames`: the table's partition key, then its sort key if it has one. */
export function pricedTable(keyNames: readonly [partition: string, sort?: string]) {
  const [partitionKey, sortKey] = keyNames;
  const mock = mockClient(DynamoDBClient);
  const items = new Map<string, DynamoItem>();
  /** Item ids by partition, so a query reads one partition, not the table. */
  const partitions = new Map<string, Set<string>>();
  const sizeOf = (item: DynamoItem | undefined): number => (item === undefined ? 0 : dynamoDbItemBytes(item));
  const partitionOf = (key: DynamoItem | undefined): string => JSON.stringify(key?.[partitionKey]);
  const idOf = (key: DynamoItem | undefined): string =>
    JSON.stringify(keyNames.flatMap((name) => (name === undefined ? [] : [key?.[name]])));
  let units = { write: 0, read: 0 };
  let largestItemBytes = 0;

  const write = (key: DynamoItem | undefined, after: DynamoItem): DynamoItem | undefined => {
    const id = idOf(key);
    const before = items.get(id);
    units.write += writeUnits(sizeOf(before), sizeOf(after));
    largestItemBytes = Math.max(largestItemBytes, sizeOf(after));
    items.set(id, after);
    const partition = partitions.get(partitionOf(key)) ?? new Set<string>();
    partition.add(id);
    partitions.set(partitionOf(key), partition);
    return before;
  };

  /** The items a key condition selects, in sort key order (strings here, compared as DynamoDB does for ASCII). */
  const query = (input: QueryCommandInput): DynamoItem[] => {
    const expression = input.KeyConditionExpression ?? '';
    const nameOf = (token: string): string =>
      token.startsWith('#') ? (input.ExpressionAttributeNames?.[token] ?? token) : token;
    const valueFor = (token: string): AttributeValue | undefined => input.ExpressionAttributeValues?.[token];
    const [, pkName = '', pkValue = '', skName = '', from = '', last = ''] =
      PARTITION_AND_RANGE.exec(expression) ?? PARTITION_ONLY.exec(expression) ?? [];
    if (nameOf(pkName) !== partitionKey) throw new Error(`Key condition not modelled: ${expression}`);
    const inRange = (item: DynamoItem): boolean => {
      if (skName === '') return true;
      if (sortKey === undefined || nameOf(skName) !== sortKey)
        throw new Error(`Key condition not modelled: ${expression}`);
      const sk = item[sortKey]?.S ?? '';
      return sk >= (valueFor(from)?.S ?? '') && sk <= (valueFor(last)?.S ?? '');
    };
    const ids = partitions.get(JSON.stringify(valueFor(pkValue))) ?? new Set<string>();
    return [...ids]
      .flatMap((id) => {
        const item = items.get(id);
        return item !== undefined && inRange(item) ? [item] : [];
      })
      .sort((a, b) => ((a[sortKey ?? '']?.S ?? '') < (b[sortKey ?? '']?.S ?? '') ? -1 : 1));
  };

  mock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    const after = itemAfterUpdate(items.get(idOf(input.Key)), input);
    const before = write(input.Key, after);
    if (input.ReturnValues === 'ALL_NEW') return { Attributes: after };
    return input.ReturnValues === 'ALL_OLD' ? { Attributes: before } : {};
  });
  mock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
    write(input.Item, input.Item ?? {});
    return {};
  });
  mock.on(GetItemCommand).callsFake((input: GetItemCommandInput) => {
    const item = items.get(idOf(input.Key));
    units.read += readUnits(sizeOf(item), input.ConsistentRead);
    return item === undefined ? {} : { Item: item };
  });
  mock.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => {
    const Responses = Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, { Keys = [], ConsistentRead }]) => {
        const found = Keys.flatMap((key) => {
          const item = items.get(idOf(key));
          units.read += readUnits(sizeOf(item), ConsistentRead);
          return item === undefined ? [] : [item];
        });
        return [table, found];
      }),
    );
    return { Responses };
  });
  // One page: a query is billed on the sum of the items it reads, rounded up to 4 KB per page of at
  // most 1 MB; the panes read here stay far below a page.
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const found = query(input);
    units.read += readUnits(
      found.reduce((sum, item) => sum + sizeOf(item), 0),
      input.ConsistentRead,
    );
    return { Items: found, Count: found.length };
  });

  const priced = new Set([
    'UpdateItemCommand',
    'PutItemCommand',
    'GetItemCommand',
    'BatchGetItemCommand',
    'QueryCommand',
  ]);
  return {
    /** What the calls since the last take cost. */
    take(): TableMeter {
      const calls: Record<string, number> = {};
      for (const call of mock.calls()) {
        const name = (call.args[0] as object).constructor.name;
        if (!priced.has(name)) throw new Error(`The priced table does not price ${name}`);
        calls[name] = (calls[name] ?? 0) + 1;
      }
      const meter = { calls, writeUnits: units.write, readUnits: units.read };
      mock.resetHistory();
      units = { write: 0, read: 0 };
      return meter;
    },
    largestItemBytes: () => largestItemBytes,
    restore: () => mock.restore(),
  };
}
