import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Chromium from '@sparticuz/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../cdk/ops/dashboard/server';
import type { AcceptedRequest } from '../../cdk/ops/invariants';
import { getRequestStatus } from '../../cdk/ops/status-client';
import { analysisShape, getAnalyses, getWindows } from '../../cdk/ops/windows-client';
import { LOCAL_DIR, PROJECT_ROOT } from '../../cdk/project';
import { parseStoredKey } from '../../lambdas/domain/keys';
import { accept, deployment, pollUntil } from './support';

/** CI keeps `.local/` as an artifact. */
const SCREENSHOT = path.join(LOCAL_DIR, 'dashboard.png');
const ANALYSES_SCREENSHOT = path.join(LOCAL_DIR, 'dashboard-analyses.png');
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

interface ShownWindow {
  readonly start: string;
  readonly count: number;
  readonly mean: number | undefined;
  readonly final: boolean;
  /** How the row is drawn: `final` or `provisional`. */
  readonly drawnAs: string;
}

interface ShownPanel {
  readonly shape: string;
  readonly canvases: number;
  /** The chart's data attributes. */
  readonly chart: { windows: string; final: string; provisionalFrom: string };
  /** Its table's rows, oldest first. */
  readonly windows: readonly ShownWindow[];
}

/** An analysis's panel as drawn, read at one instant (the page redraws every 2 s). */
const shownPanel = (page: Page, name: string): Promise<ShownPanel> =>
  page.$eval(`.analysis[data-analysis="${name}"]`, (panel) => {
    const chart = panel.querySelector('.analysis-chart');
    return {
      shape: panel.querySelector('.analysis-shape')?.textContent ?? '',
      canvases: panel.querySelectorAll('.analysis-chart .uplot canvas').length,
      chart: {
        windows: chart?.getAttribute('data-windows') ?? '',
        final: chart?.getAttribute('data-final') ?? '',
        provisionalFrom: chart?.getAttribute('data-provisional-from') ?? '',
      },
      windows: [...panel.querySelectorAll('.window-table tbody tr')].reverse().map((row) => ({
        start: row.getAttribute('data-start') ?? '',
        count: Number(row.getAttribute('data-count')),
        mean: row.hasAttribute('data-mean') ? Number(row.getAttribute('data-mean')) : undefined,
        final: row.getAttribute('data-final') === 'true',
        drawnAs: row.className,
      })),
    };
  });

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

  it("plots each analysis's windows as GET /analyses/{name}/windows answers them, final and provisional apart", async () => {
    // Prepare: when the seed requests were accepted (their items' time in every analysis).
    const page = await dashboardPage();
    if (seed.length === 0) throw new Error('the first test sent no seed requests');
    const acceptedAt = await Promise.all(
      seed.map(async ({ requestId }) =>
        Date.parse((await getRequestStatus(deployment, requestId)).acceptedAt),
      ),
    );
    const seedItems = seed.reduce((total, request) => total + request.items.length, 0);
    const { analyses } = await getAnalyses(deployment);
    expect(analyses.length).toBeGreaterThan(0);

    for (const analysis of analyses) {
      // Act: until the panel holds what the API answers, the seed counted in the windows holding it all.
      const holdsSeed = (window: ShownWindow) =>
        acceptedAt.every(
          (at) =>
            Date.parse(window.start) <= at && at < Date.parse(window.start) + analysis.windowSeconds * 1000,
        );
      const { panel, answer } = await pollUntil(
        `the ${analysis.name} panel to show the windows the API answers`,
        async () => {
          const panel = await shownPanel(page, analysis.name).catch(() => undefined);
          const answer = await getWindows(deployment, analysis.name);
          const shown = panel?.windows ?? [];
          const answered = new Map(answer.windows.map((window) => [window.start, window]));
          const both = shown.filter((window) => answered.has(window.start));
          const agree = both.every(
            (window) =>
              window.count === answered.get(window.start)?.count &&
              window.mean === answered.get(window.start)?.mean,
          );
          const seedWindows = both.filter(holdsSeed);
          return agree && seedWindows.length > 0 && seedWindows.every((window) => window.count >= seedItems)
            ? { panel, answer }
            : undefined;
        },
        { timeoutMs: 90_000, everyMs: 1_000 },
      );

      // Assert: the title, one chart whose data attributes match the table, and final before provisional.
      const shown = panel?.windows ?? [];
      const final = shown.filter((window) => window.final);
      const provisional = shown.filter((window) => !window.final);
      expect(panel).toMatchObject({
        shape: analysisShape(analysis),
        canvases: 1,
        chart: {
          windows: String(shown.length),
          final: String(final.length),
          provisionalFrom: provisional[0]?.start,
        },
      });
      expect(final.length).toBeGreaterThan(0);
      expect(provisional.length).toBeGreaterThan(0);
      expect(shown.slice(0, final.length)).toEqual(final);
      expect(shown.filter(({ final, drawnAs }) => drawnAs !== (final ? 'final' : 'provisional'))).toEqual([]);
      // A window shown final was final when the page read it: the API, read after, says so too.
      const answered = new Map(answer.windows.map((window) => [window.start, window]));
      expect(final.filter((window) => answered.get(window.start)?.final === false)).toEqual([]);
      const style = (kind: string) =>
        page
          .locator(`.analysis[data-analysis="${analysis.name}"] .window-table tr.${kind} td`)
          .first()
          .evaluate((cell) => cell.ownerDocument.defaultView.getComputedStyle(cell).fontStyle);
      expect(await style('provisional')).not.toBe(await style('final'));
    }
    expect(await page.textContent('#problems')).not.toContain('analysis');
    await page.locator('#analyses').screenshot({ path: ANALYSES_SCREENSHOT });
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
    const { analyses } = await getAnalyses(deployment);
    await page.waitForSelector('.analysis[data-state="ok"]', { timeout: 15_000 });
    expect(await page.locator('.analysis[data-state="ok"] .analysis-chart .uplot canvas').count()).toBe(
      analyses.length,
    );
    expect(await page.evaluate(intlVerdict)).toBe('accepts en-US');
    await context.close();
  });
});
