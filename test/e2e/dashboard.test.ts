import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../cdk/ops/dashboard/server';
import type { AcceptedRequest } from '../../cdk/ops/invariants';
import { LOCAL_DIR } from '../../cdk/project';
import { parseStoredKey } from '../../lambdas/domain/keys';
import { accept, deployment, pollUntil } from './support';

/** The system browser (Debian's `chromium`): playwright-core drives it and downloads none of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** CI keeps `.local/` as an artifact. */
const SCREENSHOT = path.join(LOCAL_DIR, 'dashboard.png');
const SEED = [[1, 2, 3, 4], [5, 7, 8], [1], [2]];

interface ShownObject {
  readonly key: string;
  /** The minute of the section the box is drawn in. */
  readonly minute: string;
  readonly breaks: boolean;
  readonly items: readonly { item: number; requestId: string; mark: string }[];
}

/** What the page shows in its per-minute browser, read from the DOM as drawn. */
const shownObjects = (page: Page): Promise<ShownObject[]> =>
  page.$$eval('#minute-sections .object', (boxes) =>
    boxes.map((box) => ({
      key: box.getAttribute('data-key') ?? '',
      minute: box.closest('.minute')?.getAttribute('data-minute') ?? '',
      breaks: box.classList.contains('breaks'),
      items: [...box.querySelectorAll('.chip')].map((chip) => ({
        item: Number(chip.getAttribute('data-item')),
        requestId: chip.getAttribute('data-request') ?? '',
        mark: chip.classList.contains('pair-a') ? 'a' : chip.classList.contains('pair-b') ? 'b' : '',
      })),
    })),
  );

/** Waits until the page shows every item of these requests. */
const waitForShown = (page: Page, requests: readonly AcceptedRequest[]): Promise<ShownObject[]> =>
  pollUntil(
    `the dashboard to show the items of ${requests.length} requests`,
    async () => {
      const objects = await shownObjects(page);
      const chips = objects.flatMap((object) => object.items);
      const shown = (request: AcceptedRequest) =>
        chips.filter((chip) => chip.requestId === request.requestId).length >= request.items.length;
      return requests.every(shown) ? objects : undefined;
    },
    { timeoutMs: 90_000, everyMs: 500 },
  );

let dashboard: Dashboard;
let browser: Browser | undefined;
let opened: Page | undefined;

beforeAll(async () => {
  dashboard = await startDashboard({ deployment, port: 0 });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
});

/** The dashboard in Chromium, opened on first use: without Chromium each test fails saying how to install it. */
async function dashboardPage(): Promise<Page> {
  if (opened) return opened;
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: the dashboard test drives the system browser. ` +
        'Install it with: apt-get update && apt-get install -y chromium',
    );
  }
  // Chromium's sandbox cannot start as root (CI runs as root).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  opened = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await opened.goto(dashboard.url);
  return opened;
}

describe('the dashboard page on the deployed pipeline', () => {
  let seed: AcceptedRequest[] = [];

  it('shows the seed requests as objects per minute, with 1 and 2 in different objects and colours', async () => {
    // Prepare
    const page = await dashboardPage();

    // Act
    seed = [];
    for (const items of SEED) seed.push(await accept(items));
    const objects = await waitForShown(page, seed);

    // Assert
    const ids = new Set(seed.map((request) => request.requestId));
    const ours = objects.filter((object) => object.items.some((chip) => ids.has(chip.requestId)));
    const holding = (item: number) =>
      ours.filter((object) => object.items.some((chip) => chip.item === item)).map((object) => object.key);
    expect(holding(1).length).toBeGreaterThan(0);
    expect(holding(2).length).toBeGreaterThan(0);
    expect(holding(1).filter((key) => holding(2).includes(key))).toEqual([]);
    expect(objects.filter((object) => object.breaks)).toEqual([]);
    for (const object of ours) expect(object.minute).toBe(parseStoredKey(object.key)?.minute);
    const marks = ours.flatMap((object) => object.items).map(({ item, mark }) => ({ item, mark }));
    expect(new Set(marks.filter(({ item }) => item === 1).map(({ mark }) => mark))).toEqual(new Set(['a']));
    expect(new Set(marks.filter(({ item }) => item === 2).map(({ mark }) => mark))).toEqual(new Set(['b']));
    const colour = (selector: string) =>
      page.$eval(selector, (chip) => chip.ownerDocument.defaultView.getComputedStyle(chip).backgroundColor);
    expect(await colour('#minute-sections .chip.pair-a')).not.toBe(
      await colour('#minute-sections .chip.pair-b'),
    );
    expect(await page.textContent('#rule')).toBe('✓ holds');
  });

  it('updates by itself when another request is stored', async () => {
    // Prepare: a mark that a reload would wipe.
    const page = await dashboardPage();
    await page.$eval('body', (body) => body.setAttribute('data-test-mark', 'no reload'));

    // Act
    const extra = await accept([6, 9, 10]);
    const objects = await waitForShown(page, [extra]);

    // Assert
    const items = objects
      .flatMap((object) => object.items)
      .filter((chip) => chip.requestId === extra.requestId)
      .map((chip) => chip.item);
    expect(items).toEqual([6, 9, 10]);
    expect(await page.getAttribute('body', 'data-test-mark')).toBe('no reload');
    const stored = await page.textContent('[data-tile="Stored"] .value');
    expect(Number(stored)).toBeGreaterThanOrEqual(12);
    expect(await page.textContent('[data-tile="Ledger errors"] .value')).toBe('0');
  });

  it('finds a request by its id and shows its objects', async () => {
    // Prepare
    const page = await dashboardPage();
    const [first] = seed;
    if (!first) throw new Error('the first test sent no seed requests');

    // Act
    await page.fill('#lookup-id', first.requestId);
    await page.press('#lookup-id', 'Enter');
    const summary = page.locator(`#lookup-result p[data-request="${first.requestId}"]`);
    await summary.waitFor({ timeout: 10_000 });

    // Assert
    expect(await summary.getAttribute('data-status')).toBe('stored');
    expect(await summary.getAttribute('data-stored')).toBe('4');
    const chips = await page.$$eval('#lookup-result .chip:not(.dim)', (found) =>
      found.map((chip) => Number(chip.textContent)),
    );
    expect(chips).toEqual([1, 2, 3, 4]);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
