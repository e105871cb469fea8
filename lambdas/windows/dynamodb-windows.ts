import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Analysis } from '../domain/analyses';
import type { PaneRow } from '../domain/windows';
import {
  closedUntilFrom,
  finalWindowUpdate,
  lateUpdate,
  paneRowFrom,
  paneRowsQuery,
  paneUpdates,
  type Retention,
  watermarkRequest,
  watermarkUpdate,
  windowRowFrom,
  windowRowsQuery,
} from './window-inputs';
import type { CloserWindows, ConsumerWindows } from './window-interfaces';

/** The windows table of one analysis on DynamoDB. No client is made and nothing is read at import. */

export interface DynamoDbWindowsOptions {
  readonly tableName: string;
  readonly analysis: Analysis;
  readonly retention: Retention;
}

/** Every item of a query, page by page. */
async function queryAll(
  ddb: DynamoDBClient,
  input: (exclusiveStartKey?: Record<string, AttributeValue>) => QueryCommandInput,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let exclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(new QueryCommand(input(exclusiveStartKey)));
    items.push(...(page.Items ?? []));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey !== undefined);
  return items;
}

export function dynamoDbWindows(
  ddb: DynamoDBClient,
  { tableName, analysis, retention }: DynamoDbWindowsOptions,
): ConsumerWindows & CloserWindows {
  return {
    async writePane(write) {
      let row: PaneRow | undefined;
      // Over 40 indexes take more than one update; the last answer holds the whole row.
      for (const update of paneUpdates(tableName, analysis, write, retention)) {
        const { Attributes } = await ddb.send(new UpdateItemCommand(update));
        row = paneRowFrom(Attributes ?? {});
      }
      if (row === undefined) throw new Error(`No items to write for pane ${write.paneStart}`);
      return row;
    },

    async addLate(windowStart, items) {
      if (items.length === 0) return;
      await ddb.send(new UpdateItemCommand(lateUpdate(tableName, analysis, windowStart, items, retention)));
    },

    async closedUntil() {
      const { Item } = await ddb.send(new GetItemCommand(watermarkRequest(tableName, analysis.name)));
      return closedUntilFrom(Item);
    },

    async paneRows(paneStart) {
      const items = await queryAll(ddb, (start) => paneRowsQuery(tableName, analysis.name, paneStart, start));
      return items.map(paneRowFrom);
    },

    async windowRows(fromMs, toMs) {
      if (toMs <= fromMs) return [];
      const items = await queryAll(ddb, (start) =>
        windowRowsQuery(tableName, analysis.name, fromMs, toMs, start),
      );
      return items.map(windowRowFrom);
    },

    async writeFinal(window, closedAt) {
      await ddb.send(
        new UpdateItemCommand(finalWindowUpdate(tableName, analysis, window, closedAt, retention)),
      );
    },

    async advance(closedUntil) {
      try {
        await ddb.send(new UpdateItemCommand(watermarkUpdate(tableName, analysis.name, closedUntil)));
      } catch (error) {
        // Another run moved it as far or further: nothing to undo.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
