import { setTimeout as delay } from 'node:timers/promises';
import type { BatchSettings } from '../../lambdas/domain/environment';
import { messageOf } from '../../lambdas/domain/errors';
import { minutePrefix } from '../../lambdas/domain/keys';
import type { ResultsObject } from '../../lambdas/domain/stored-objects';
import { signedRequestDenied } from './api-request';
import { readResultsObjects, type StoredObject } from './bucket';
import { numberOption, UsageError } from './cli-options';
import { deployedBatchSettings } from './deployed-rules';
import type { Clients, Deployment } from './deployment';
import { type AcceptedRequest, type Audit, auditInvariants, itemId } from './invariants';
import { type AcceptedAnswer, type PostResult, postItems } from './pipeline-client';
import { table } from './terminal';

/** The example requests of the storage rule, sent in this order: `[1,2,3,4]` must be cut between 1 and 2. */
export const SMOKE_REQUESTS: readonly (readonly number[])[] = [[1, 2, 3, 4], [5, 7, 8], [1], [2]];

export const SMOKE_USAGE = `usage: npm run smoke -- [--timeout SECONDS] [--stack NAME]

The check to run right after a deploy. POSTs the example requests [1,2,3,4], [5,7,8], [1] and
[2], waits until their ${SMOKE_REQUESTS.flat().length} items are in S3 (progress on stderr), then audits those items only with
the rules the deployment enforces: no loss, at most its batch size (default 5) items per object, its
exclusion pairs (default 1 and 2) never in the same object, each object under the UTC minute it was
written in, order within a request. Prints each check with PASS or FAIL, then
"smoke: PASS" (exit 0) or "smoke: FAIL (...)" (exit 1); a usage error exits 2.

  --timeout SECONDS  how long to wait for the items to be stored (default 120)
  --stack NAME       a stack in your AWS account (AWS_REGION) instead of .local/outputs.json
                     (PIPELINE_OUTPUTS=FILE for another local deployment)

The requests carry the stack's API key, or, when its Auth output says iam, a SigV4 signature made
with the credentials of the SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, a role...).`;

export interface SmokeOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
}

export function smokeOptions(values: { timeout?: string }, positionals: readonly string[]): SmokeOptions {
  if (positionals.length > 0) {
    throw new UsageError(`smoke sends its own requests and takes no items (got ${positionals.join(' ')})`);
  }
  return { timeoutMs: numberOption(values.timeout, 'timeout', 120, 1, 3600) * 1000, pollMs: 1000 };
}

export interface SmokeDeps {
  readonly clients: Clients;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export interface SmokeCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly figures: string;
  /** What broke the check, one line each. */
  readonly violations: readonly string[];
}

export interface SmokeReport {
  readonly checks: readonly SmokeCheck[];
  readonly passed: boolean;
}

/** POSTs the requests in turn, stopping at the first answer that is not a 202 with a requestId. */
async function sendRequests(
  deployment: Deployment,
  http: typeof fetch,
  log: (line: string) => void,
): Promise<{ accepted: AcceptedRequest[]; refusal?: string }> {
  const accepted: AcceptedRequest[] = [];
  for (const items of SMOKE_REQUESTS) {
    const body = JSON.stringify(items);
    let answer: PostResult;
    try {
      answer = await postItems(deployment, body, {}, http);
    } catch (error) {
      return { accepted, refusal: `POST ${body} failed: ${messageOf(error)}` };
    }
    const { requestId, enqueuedOutOfOrder } = (answer.json ?? {}) as Partial<AcceptedAnswer>;
    if (answer.status !== 202 || typeof requestId !== 'string' || requestId === '') {
      const what = answer.status === 202 ? '202 without a requestId' : String(answer.status);
      const refusal =
        signedRequestDenied(deployment, `POST ${body}`, answer.status, answer.text)?.message ??
        `POST ${body} answered ${what}: ${answer.text.trim().slice(0, 300)}`;
      return { accepted, refusal };
    }
    log(`POST ${body} -> 202 ${requestId}`);
    accepted.push({ requestId, items, ...(enqueuedOutOfOrder ? { enqueuedOutOfOrder } : {}) });
  }
  return { accepted };
}

/** The results/ minute folders from the minute before `from` to the minute after `to`: clocks differ a little. */
function minutePrefixes(from: number, to: number): string[] {
  const prefixes: string[] = [];
  for (let minute = Math.floor(from / 60_000) - 1; minute <= Math.floor(to / 60_000) + 1; minute++) {
    prefixes.push(minutePrefix('results', new Date(minute * 60_000)));
  }
  return prefixes;
}

interface Stored {
  /** The results objects holding items of the requests. */
  readonly objects: StoredObject<ResultsObject>[];
  readonly storedItems: number;
  readonly seconds: number;
  readonly timedOut: boolean;
}

/**
 * Polls the minute folders of the run until every item is in a results object or the deadline
 * passes. Each object is read once: objects are written once, so a body cannot change.
 */
async function waitForItems(
  deployment: Deployment,
  accepted: readonly AcceptedRequest[],
  { timeoutMs, pollMs }: SmokeOptions,
  { clients, now, sleep, log }: Required<Omit<SmokeDeps, 'fetch'>>,
  started: number,
): Promise<Stored> {
  const requestIds = new Set(accepted.map((request) => request.requestId));
  const total = accepted.reduce((sum, request) => sum + request.items.length, 0);
  const read = new Set<string>();
  const objects: StoredObject<ResultsObject>[] = [];
  const storedIds = new Set<string>();
  let reported = -1;
  for (;;) {
    const pages = await Promise.all(
      minutePrefixes(started, now()).map((prefix) =>
        readResultsObjects(clients, deployment.bucketName, { prefix, skip: read }),
      ),
    );
    for (const object of pages.flat()) {
      read.add(object.key);
      const ours = object.body.items.filter((entry) => requestIds.has(entry.requestId));
      if (ours.length > 0) objects.push(object);
      for (const entry of ours) storedIds.add(itemId(entry.requestId, entry.index));
    }
    const seconds = (now() - started) / 1000;
    if (storedIds.size !== reported) {
      reported = storedIds.size;
      log(`stored ${reported}/${total} items (${seconds.toFixed(1)} s)`);
    }
    const timedOut = now() - started >= timeoutMs;
    if (storedIds.size >= total || timedOut) {
      return { objects, storedItems: storedIds.size, seconds, timedOut: storedIds.size < total };
    }
    await sleep(Math.min(pollMs, started + timeoutMs - now()));
  }
}

const check = (name: string, figures: string, violations: readonly string[]): SmokeCheck => ({
  name,
  passed: violations.length === 0,
  figures,
  violations,
});

const acceptedCheck = (accepted: readonly AcceptedRequest[], refusal?: string): SmokeCheck =>
  check(
    'requests accepted',
    `${accepted.length}/${SMOKE_REQUESTS.length} answered 202 with a requestId`,
    refusal === undefined ? [] : [refusal],
  );

/** What the checks hold the objects to. */
type Rules = Pick<BatchSettings, 'batchSize' | 'exclusionPairs'>;

/** The verdict on the stored items: the contract's checks, each with its figures. */
function checksOf(
  accepted: readonly AcceptedRequest[],
  stored: Stored,
  audit: Audit,
  { batchSize, exclusionPairs }: Rules,
  timeoutSeconds: number,
): SmokeCheck[] {
  const total = accepted.reduce((sum, request) => sum + request.items.length, 0);
  const describe = new Map(
    accepted.flatMap(({ requestId, items }) =>
      items.map((item, index) => [itemId(requestId, index), `item ${item} of ${JSON.stringify(items)}`]),
    ),
  );
  const objects = stored.objects.length;
  const largest = Math.max(0, ...stored.objects.map((object) => object.body.items.length));
  return [
    acceptedCheck(accepted),
    check(
      'no loss',
      `${stored.storedItems}/${total} items stored ${stored.timedOut ? `within ${timeoutSeconds} s` : `in ${stored.seconds.toFixed(1)} s`}` +
        `, ${audit.duplicates.length} duplicates`,
      [
        ...audit.lost.map((id) => `${describe.get(id)} not stored within ${timeoutSeconds} s (${id})`),
        ...audit.duplicates,
        ...audit.altered,
      ],
    ),
    check(
      `at most ${batchSize} items per object`,
      `${objects} objects, the largest holds ${largest}`,
      audit.oversize,
    ),
    check(
      `${exclusionPairs.map(([a, b]) => `${a} and ${b}`).join(', ')} never in the same object`,
      `${audit.exclusionViolations.length} of ${objects} objects hold both`,
      audit.exclusionViolations,
    ),
    check(
      'each object under its UTC minute',
      `${objects - audit.misplaced.length}/${objects} objects under the minute they were written in`,
      audit.misplaced,
    ),
    check(
      'order within a request',
      `${accepted.length - audit.outOfOrder.length}/${accepted.length} requests stored in order` +
        (audit.enqueuedOutOfOrder.length > 0
          ? ` (${audit.enqueuedOutOfOrder.length} enqueued out of order, left out)`
          : ''),
      audit.outOfOrder,
    ),
  ];
}

/**
 * The smoke run: sends SMOKE_REQUESTS, waits for their items with a deadline and audits them with
 * the contract's checker against the deployment's own batch size and exclusion pairs. Its collaborators are injected so that a test can stub HTTP, S3 and time.
 */
export async function runSmoke(
  deployment: Deployment,
  deps: SmokeDeps,
  options: SmokeOptions,
): Promise<SmokeReport> {
  const run = {
    clients: deps.clients,
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms: number) => delay(ms)),
    log: deps.log ?? (() => {}),
  };
  // Read first: a deployment the tool cannot inspect fails before anything is sent.
  const rules: Rules = await deployedBatchSettings(deployment);
  run.log(`smoke: ${SMOKE_REQUESTS.length} requests to ${deployment.stackName} at ${deployment.apiUrl}`);
  const started = run.now();
  const { accepted, refusal } = await sendRequests(deployment, deps.fetch ?? fetch, run.log);
  if (refusal !== undefined) return { checks: [acceptedCheck(accepted, refusal)], passed: false };
  const stored = await waitForItems(deployment, accepted, options, run, started);
  const audit = auditInvariants({
    accepted,
    results: stored.objects,
    // An item in a failure record is not stored: for a smoke run that is a failure too.
    failures: [],
    batchSize: rules.batchSize,
    exclusionPairs: rules.exclusionPairs,
  });
  const checks = checksOf(accepted, stored, audit, rules, options.timeoutMs / 1000);
  return { checks, passed: checks.every((check) => check.passed) };
}

/** Violations listed under the table, per check. */
const SHOWN_VIOLATIONS = 10;

/** Each check with PASS or FAIL and its figures, the violations, then the verdict line. */
export function formatVerdict(report: SmokeReport): string {
  const lines = [
    // The table pads its last column; trailing blanks are noise in a terminal and in CI logs.
    table([
      ['check', 'result', 'figures'],
      ...report.checks.map((check) => [check.name, check.passed ? 'PASS' : 'FAIL', check.figures]),
    ]).replace(/ +$/gm, ''),
  ];
  const failed = report.checks.filter((check) => !check.passed);
  for (const check of failed) {
    for (const violation of check.violations.slice(0, SHOWN_VIOLATIONS))
      lines.push(`  ${check.name}: ${violation}`);
    if (check.violations.length > SHOWN_VIOLATIONS) {
      lines.push(`  ${check.name}: ... and ${check.violations.length - SHOWN_VIOLATIONS} more`);
    }
  }
  const reasons = failed.map(
    ({ name, violations }) =>
      `${name}: ${violations[0]}${violations.length > 1 ? ` and ${violations.length - 1} more` : ''}`,
  );
  lines.push(report.passed ? 'smoke: PASS' : `smoke: FAIL (${reasons.join('; ')})`);
  return lines.join('\n');
}
