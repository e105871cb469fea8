import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Chromium from '@sparticuz/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../cdk/ops/dashboard/server';
import type { AcceptedRequest } from '../../cdk/ops/invariants';
import { LOCAL_DIR, PROJECT_ROOT } from '../../cdk/project';
import { parseStoredKey } from '../../lambdas/domain/keys';
import { accept, deployment, pollUntil } from './support';

/** CI keeps `.local/` as an artifact. */
const SCREENSHOT = path.join(LOCAL_DIR, 'dashboard.png');
const SEED = [[1, 2, 3, 4], [5, 7, 8], [1], [2]];
const VIEWPORT = { width: 1400, height: 900 };
/** What headless Chromium reports under a POSIX locale (LANG=C.UTF-8): a tag that Intl rejects. */
const POSIX_LANGUAGE = 'en-US@posix';

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

/**
 * The headless Chromium inside the @sparticuz/chromium package (a devDependency: no apt, no download),
 * unpacked on first use. It unpacks into the temp folder and reuses any `chromium` it finds there, so
 * it gets a temp folder of its version's own.
 */
async function unpackedChromium(): Promise<string> {
  const manifest = path.join(PROJECT_ROOT, 'node_modules/@sparticuz/chromium/package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const dir = path.join(tmpdir(), `sparticuz-chromium-${version}`);
  mkdirSync(dir, { recursive: true });
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await Chromium.executablePath();
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  }
}

/** Chromium, started on first use; playwright-core drives it and downloads no browser of its own. */
async function startedBrowser(): Promise<Browser> {
  if (browser) return browser;
  const executablePath = await unpackedChromium();
  // The package's flags (headless, no sandbox: CI runs as root), less --single-process, under which
  // closing a context closes the whole browser.
  const args = Chromium.args.filter((arg) => arg !== '--single-process');
  browser = await chromium.launch({ executablePath, args });
  return browser;
}

/** The dashboard in Chromium with an ordinary language, opened on first use. */
async function dashboardPage(): Promise<Page> {
  if (opened) return opened;
  opened = await (await startedBrowser()).newPage({ viewport: VIEWPORT, locale: 'en-US' });
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

  it(`shows its figures in a browser whose language Intl rejects (${POSIX_LANGUAGE})`, async () => {
    // Prepare: a context that reports the language as headless Chromium does under LANG=C.UTF-8.
    const context = await (await startedBrowser()).newContext({ viewport: VIEWPORT, locale: POSIX_LANGUAGE });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const intlVerdict = () => {
      try {
        new Intl.NumberFormat(navigator.language);
        return `accepts ${navigator.language}`;
      } catch (error) {
        return `rejects ${navigator.language}: ${error}`;
      }
    };
    expect(await page.evaluate(intlVerdict)).toBe(
      `rejects ${POSIX_LANGUAGE}: RangeError: Invalid language tag: ${POSIX_LANGUAGE}`,
    );
    const request = await accept([31, 32, 33]);

    // Act: the page's first refresh, or the errors that kept it from happening.
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-refreshed-at]', { timeout: 15_000 }).catch(() => undefined);

    // Assert
    expect(pageErrors).toEqual([]);
    const objects = await waitForShown(page, [request]);
    const items = objects
      .flatMap((object) => object.items)
      .filter((chip) => chip.requestId === request.requestId)
      .map((chip) => chip.item);
    expect(items).toEqual([31, 32, 33]);
    expect(Number(await page.textContent('[data-tile="Stored"] .value'))).toBeGreaterThanOrEqual(3);
    expect(await page.textContent('#rule')).toBe('✓ holds');
    expect(await page.locator('.chart .uplot canvas').count()).toBe(3);
    expect(await page.evaluate(intlVerdict)).toBe('accepts en-US');
    await context.close();
  });
});
