import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PREFIX_OF } from '../../lambdas/domain/keys';
import type { FailureRecord, ResultsObject } from '../../lambdas/domain/stored-objects';
import { mapConcurrently } from './concurrency';
import type { Clients } from './deployment';

/** Reading a deployment's bucket back: keys, JSON bodies, and the batch writer's objects by kind. */

export interface StoredObject<T = unknown> {
  readonly key: string;
  readonly lastModified: Date | undefined;
  readonly body: T;
}

/** Every key under a prefix, page by page. */
export async function* listKeys(
  clients: Clients,
  bucket: string,
  prefix: string,
): AsyncGenerator<{ key: string; lastModified?: Date }> {
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key) yield { key: object.Key, lastModified: object.LastModified };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export async function readJson<T>(clients: Clients, bucket: string, key: string): Promise<T> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await object.Body?.transformToString()) ?? 'null') as T;
}

export interface ReadOptions {
  /** Parallel GETs. */
  readonly concurrency?: number;
  /** Only objects stored at or after this time (S3 LastModified). */
  readonly modifiedSince?: Date;
  /** Keys not to read, e.g. those read by an earlier poll (objects are written once). */
  readonly skip?: ReadonlySet<string>;
}

/** Objects under a prefix with their JSON bodies, read a few at a time, in key order. */
export async function readObjects<T>(
  clients: Clients,
  bucket: string,
  prefix: string,
  { concurrency = 8, modifiedSince, skip }: ReadOptions = {},
): Promise<StoredObject<T>[]> {
  const keys: { key: string; lastModified?: Date }[] = [];
  for await (const entry of listKeys(clients, bucket, prefix)) {
    if (skip?.has(entry.key)) continue;
    if (!modifiedSince || (entry.lastModified && entry.lastModified >= modifiedSince)) keys.push(entry);
  }
  keys.sort((a, b) => a.key.localeCompare(b.key));
  return mapConcurrently(keys, concurrency, async ({ key, lastModified }) => ({
    key,
    lastModified,
    body: await readJson<T>(clients, bucket, key),
  }));
}

/** An object of the batch writer as read back, told apart by its kind (its key's prefix). */
export type StoredResults = StoredObject<ResultsObject> & { readonly kind: 'results' };
export type StoredFailure = StoredObject<FailureRecord> & { readonly kind: 'failed' };
export type BatchWriterObject = StoredResults | StoredFailure;

type KindReadOptions = ReadOptions & {
  /** A folder of the kind (e.g. `minutePrefix('results', at)`); the whole kind by default. */
  readonly prefix?: string;
};

/** The objects of one kind, oldest minute first. */
async function readKind<T extends BatchWriterObject>(
  kind: T['kind'],
  clients: Clients,
  bucket: string,
  { prefix = PREFIX_OF[kind], ...options }: KindReadOptions,
): Promise<T[]> {
  const objects = await readObjects<T['body']>(clients, bucket, prefix, options);
  return objects.map((object) => ({ ...object, kind }) as T);
}

export const readResultsObjects = (
  clients: Clients,
  bucket: string,
  options: KindReadOptions = {},
): Promise<StoredResults[]> => readKind<StoredResults>('results', clients, bucket, options);

export const readFailureRecords = (
  clients: Clients,
  bucket: string,
  options: KindReadOptions = {},
): Promise<StoredFailure[]> => readKind<StoredFailure>('failed', clients, bucket, options);
