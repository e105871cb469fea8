import { describe, expect, it } from 'vitest';
import { listKeys, readJson } from '../../cdk/ops/bucket';
import { getRequestStatus } from '../../cdk/ops/status-client';
import { getWindows } from '../../cdk/ops/windows-client';
import type { AnsweredWindow } from '../../lambdas/analyses-api/read-windows';
import type { Analysis } from '../../lambdas/domain/analyses';
import { paneOf, windowKey, windowStartsIn } from '../../lambdas/domain/windows';
import { accept, clients, config, deployment, pollUntil } from './support';

const [analysis] = config.analyses as [Analysis];
async function windowsBetween(fromMs: number, toMs: number): Promise<readonly AnsweredWindow[]> {
  const range = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
  return (await getWindows(deployment, analysis.name, range)).windows;
}

/** One window as computed here from the accepted items' acceptance times. */
function expectedWindow(start: number, items: readonly { item: number; acceptedAtMs: number }[]) {
  const inside = items
    .filter(
      ({ acceptedAtMs }) =>
        acceptedAtMs >= start * 1000 && acceptedAtMs < (start + analysis.windowSeconds) * 1000,
    )
    .map(({ item }) => item);
  const sum = inside.reduce((total, item) => total + item, 0);
  return {
    start: new Date(start * 1000).toISOString(),
    end: new Date((start + analysis.windowSeconds) * 1000).toISOString(),
    count: inside.length,
    sum,
    ...(inside.length > 0
      ? { min: Math.min(...inside), max: Math.max(...inside), mean: sum / inside.length }
      : {}),
    late: 0,
  };
}

/** A mean is a float: close to the expected one, or absent with it (an empty window). */
function expectMean(actual: unknown, expected: number | undefined): void {
  if (expected === undefined) expect(actual).toBeUndefined();
  else expect(actual).toBeCloseTo(expected);
}

describe('the default analysis on the local cloud', () => {
  // Waits out a quiet window, four panes and the windows' lateness: minutes, not the tier's default.
  it('answers every window, empty ones included, as computed from the accepted requests, and puts the final ones in S3', async () => {
    // Prepare: the default analysis, and a stream quiet for a window and a pane, so only this test's
    // items fall in the windows it checks (other tests send items too): the first of them starts up
    // to W + A seconds before the first item.
    expect(analysis).toMatchObject({ name: 'items-60s', windowSeconds: 60, advanceSeconds: 10 });
    const { advanceSeconds: A, windowSeconds: W } = analysis;
    await pollUntil(
      'a window and a pane of the default analysis without items',
      async () =>
        (await windowsBetween(Date.now() - (W + A) * 1000, Date.now())).every(({ count }) => count === 0)
          ? true
          : undefined,
      { timeoutMs: 2 * (W + A) * 1000, everyMs: 2_000 },
    );

    // Act: the example requests, then single items in four consecutive panes (three advances and more).
    const requests = [];
    for (const items of [[1, 2, 3, 4], [5, 7, 8], [1], [2]]) requests.push(await accept(items));
    const firstPane = paneOf(Date.now(), A);
    for (let pane = firstPane; pane < firstPane + 4 * A; pane += A) {
      await pollUntil(
        `the pane starting ${new Date(pane * 1000).toISOString()}`,
        async () => (paneOf(Date.now(), A) >= pane ? true : undefined),
        { timeoutMs: 2 * A * 1000, everyMs: 100 },
      );
      requests.push(await accept([100 + pane - firstPane]), await accept([-(pane - firstPane) - 1]));
    }
    const accepted = await Promise.all(
      requests.map(async ({ requestId, items }) => {
        const { acceptedAt } = await getRequestStatus(deployment, requestId);
        return items.map((item) => ({ item, acceptedAtMs: Date.parse(acceptedAt) }));
      }),
    );
    const items = accepted.flat();
    const firstMs = Math.min(...items.map(({ acceptedAtMs }) => acceptedAtMs));
    const lastMs = Math.max(...items.map(({ acceptedAtMs }) => acceptedAtMs));
    // One empty window before the first holding an item, one after the last.
    const fromMs = (paneOf(firstMs, A) - W) * 1000;
    const toMs = (paneOf(lastMs, A) + 2 * A) * 1000;
    const starts = windowStartsIn(fromMs, toMs, A);
    const expected = starts.map((start) => expectedWindow(start, items));

    // Assert: every window in the range, final once its end plus the lateness has passed.
    const answered = await pollUntil(
      'every window of the range to be final',
      async () => {
        const windows = await windowsBetween(fromMs, toMs);
        return windows.every(({ final }) => final) ? windows : undefined;
      },
      { timeoutMs: (W + analysis.latenessSeconds + 4 * A + 30) * 1000, everyMs: 2_000 },
    );
    expect(answered.map(({ mean, ...rest }) => rest)).toEqual(
      expected.map(({ mean, ...rest }) => ({ ...rest, final: true })),
    );
    for (const [position, window] of answered.entries()) expectMean(window.mean, expected[position]?.mean);
    expect(expected.filter(({ count }) => count === 0).length).toBeGreaterThanOrEqual(2);
    // Four panes of items: every window holding one of them, at least W/A + 3.
    expect(expected.filter(({ count }) => count > 0).length).toBeGreaterThanOrEqual(W / A + 3);

    // Assert: the closer wrote each final window holding items to S3 once, with the same values.
    const withItems = expected.filter(({ count }) => count > 0);
    const keys = withItems.map(({ start }) => windowKey(analysis.name, Date.parse(start)));
    await pollUntil(
      'the closer to write the final windows to S3',
      async () => {
        const listed = new Set<string>();
        for await (const { key } of listKeys(clients, deployment.bucketName, `windows/${analysis.name}/`))
          listed.add(key);
        return keys.every((key) => listed.has(key)) ? true : undefined;
      },
      { timeoutMs: 90_000, everyMs: 2_000 },
    );
    for (const [position, key] of keys.entries()) {
      const body = await readJson<Record<string, unknown>>(clients, deployment.bucketName, key);
      const { mean, ...values } = withItems[position] ?? expectedWindow(0, []);
      expect(body).toMatchObject({ v: 1, name: analysis.name, ...values, final: true });
      expectMean(body.mean, mean);
    }
  }, 420_000);
});
