import { minuteLabel, minutePrefix } from '../../lambdas/domain/keys';
import { breachedPairs } from '../../lambdas/domain/segment';
import type { ExclusionPair } from '../../lambdas/domain/settings';
import type { FailureRecord, ResultsObject } from '../../lambdas/domain/stored-objects';
import type { StoredObject } from './bucket';

/** The contract's Invariants, checked from what a client was told and what S3 holds. */

export interface AcceptedRequest {
  readonly requestId: string;
  readonly items: readonly number[];
  /** Indexes the 202 said SQS took after later items of the request (a partial batch failure). */
  readonly enqueuedOutOfOrder?: readonly number[];
}

export interface Audit {
  /** Accepted items in no results object and no failure record (invariant 1). */
  readonly lost: string[];
  /** Accepted items stored more than once (invariant 6). */
  readonly duplicates: string[];
  readonly exclusionViolations: string[];
  readonly oversize: string[];
  readonly misplaced: string[];
  readonly outOfOrder: string[];
  /** Items the ingest answer said were enqueued after later ones: left out of the order check. */
  readonly enqueuedOutOfOrder: string[];
  /** Stored items of these requests whose value differs from what was accepted. */
  readonly altered: string[];
}

export interface AuditInput {
  readonly accepted: readonly AcceptedRequest[];
  readonly results: readonly StoredObject<ResultsObject>[];
  readonly failures: readonly StoredObject<FailureRecord>[];
  readonly batchSize: number;
  readonly exclusionPairs: readonly ExclusionPair[];
}

/** How the audit names an item: `<requestId>#<index>`. */
export const itemId = (requestId: string, index: number): string => `${requestId}#${index}`;

/** S3 stamps LastModified when a PUT completes, which may be a moment after the minute turned. */
const LAST_MODIFIED_SLACK_MS = 5_000;

export function auditInvariants(input: AuditInput): Audit {
  const audit: Audit = {
    lost: [],
    duplicates: [],
    exclusionViolations: [],
    oversize: [],
    misplaced: [],
    outOfOrder: [],
    enqueuedOutOfOrder: [],
    altered: [],
  };
  const expected = new Map<string, number>();
  for (const request of input.accepted) {
    for (const [index, item] of request.items.entries()) expected.set(itemId(request.requestId, index), item);
  }
  const storedCount = new Map<string, number>();
  // Per request, the objects holding its items: write time, its lowest index there, its indexes.
  const appearances = new Map<string, { writtenAt: string; lowest: number; indexes: number[] }[]>();

  for (const { key, lastModified, body } of input.results) {
    for (const [a, b] of breachedPairs(
      body.items.map((entry) => entry.item),
      input.exclusionPairs,
    )) {
      audit.exclusionViolations.push(`${key} holds both ${a} and ${b}`);
    }
    if (body.items.length > input.batchSize) {
      audit.oversize.push(`${key} holds ${body.items.length} items (batch size ${input.batchSize})`);
    }
    const writtenAt = new Date(body.writtenAt);
    const minuteStart = Date.parse(body.minute);
    const lateBy = (lastModified?.getTime() ?? minuteStart) - (minuteStart + 60_000);
    if (
      !key.startsWith(minutePrefix('results', writtenAt)) ||
      minuteLabel(writtenAt) !== body.minute ||
      lateBy > LAST_MODIFIED_SLACK_MS ||
      (lastModified?.getTime() ?? minuteStart) < minuteStart
    ) {
      audit.misplaced.push(`${key}: written ${body.writtenAt}, stored ${lastModified?.toISOString() ?? '?'}`);
    }
    for (const entry of body.items) {
      const id = itemId(entry.requestId, entry.index);
      if (!expected.has(id)) continue;
      if (expected.get(id) !== entry.item)
        audit.altered.push(`${id} stored as ${entry.item}, accepted as ${expected.get(id)}`);
      storedCount.set(id, (storedCount.get(id) ?? 0) + 1);
    }
    const indexesByRequest = new Map<string, number[]>();
    for (const entry of body.items) {
      if (!expected.has(itemId(entry.requestId, entry.index))) continue;
      indexesByRequest.set(entry.requestId, [...(indexesByRequest.get(entry.requestId) ?? []), entry.index]);
    }
    for (const [requestId, indexes] of indexesByRequest) {
      const seen = appearances.get(requestId) ?? [];
      seen.push({ writtenAt: body.writtenAt, lowest: Math.min(...indexes), indexes });
      appearances.set(requestId, seen);
    }
  }

  const failed = new Set(
    input.failures
      .filter(({ body }) => body.requestId !== undefined && body.index !== undefined)
      .map(({ body }) => itemId(body.requestId ?? '', body.index ?? -1)),
  );
  for (const request of input.accepted) {
    for (const index of request.enqueuedOutOfOrder ?? []) {
      audit.enqueuedOutOfOrder.push(itemId(request.requestId, index));
    }
  }
  const outOfOrderAtIngest = new Set(audit.enqueuedOutOfOrder);
  for (const id of expected.keys()) {
    const count = storedCount.get(id) ?? 0;
    if (count === 0 && !failed.has(id)) audit.lost.push(id);
    if (count > 1) audit.duplicates.push(`${id} stored ${count} times`);
  }
  // Items that went through the dead-letter queue (they have a failure record) are left out: SQS
  // takes them out of their group's order by design, and a redrive stores them after later items.
  // So are items the ingest answer reported as enqueued after later ones (see AcceptedRequest).
  // Objects in write order; two written in the same millisecond cannot be told apart, so they are
  // taken in the request's own index order (objects are written once: writtenAt is the first write).
  for (const [requestId, seen] of appearances) {
    const indexes = seen
      .sort((a, b) => a.writtenAt.localeCompare(b.writtenAt) || a.lowest - b.lowest)
      .flatMap((appearance) => appearance.indexes);
    const inGroupOrder = indexes.filter(
      (index) => !failed.has(itemId(requestId, index)) && !outOfOrderAtIngest.has(itemId(requestId, index)),
    );
    const firstSeen = inGroupOrder.filter((index, position) => inGroupOrder.indexOf(index) === position);
    if (firstSeen.some((index, position) => position > 0 && index < (firstSeen[position - 1] ?? -1))) {
      audit.outOfOrder.push(`${requestId} stored in order ${firstSeen.join(',')}`);
    }
  }
  return audit;
}

export const violationsOf = (audit: Audit): string[] =>
  [
    audit.lost,
    audit.exclusionViolations,
    audit.oversize,
    audit.misplaced,
    audit.outOfOrder,
    audit.altered,
  ].flat();
