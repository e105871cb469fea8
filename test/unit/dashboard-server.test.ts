import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Overview } from '../../cdk/ops/dashboard/data';
import { type AnalysisSeries, analysisSeries, type RequestReport } from '../../cdk/ops/dashboard/figures';
import { type Dashboard, DashboardError, startDashboard } from '../../cdk/ops/dashboard/server';
import type { Deployment } from '../../cdk/ops/deployment';
import { AnalysisNotFoundError, WindowsUnavailableError } from '../../lambdas/analyses-api/read-windows';

const DEPLOYMENT = { stackName: 'Test' } as Deployment;
const REPORT: RequestReport = {
  requestId: 'r-1',
  status: {
    requestId: 'r-1',
    status: 'queued',
    accepted: 1,
    stored: 0,
    pending: 1,
    failed: 0,
    acceptedAt: '2026-11-23T10:41:59Z',
    objects: [],
  },
  objects: [],
};

const source = {
  overview: vi.fn(async () => ({ stackName: 'Test' }) as Overview),
  objectsOf: vi.fn(async () => []),
  lookup: vi.fn(async () => REPORT),
  windowsOf: vi.fn(async (name: string): Promise<AnalysisSeries> => analysisSeries({ name, windows: [] })),
};
/** A ledger-backed lookup in waiting: the server takes any. */
const ledger = vi.fn(async (requestId: string) => ({ ...REPORT, requestId }));

let dashboard: Dashboard;
beforeAll(async () => {
  dashboard = await startDashboard({ deployment: DEPLOYMENT, port: 0, source, lookup: ledger });
});
afterAll(() => dashboard.close());

const get = async (path: string, init?: RequestInit) => {
  const response = await fetch(new URL(path, dashboard.url), init);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

describe('the dashboard server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it.each([
    { path: '/', type: 'text/html', contains: '<title>FIFO pipeline dashboard</title>' },
    { path: '/app.js', type: 'text/javascript', contains: 'api/overview' },
    { path: '/style.css', type: 'text/css', contains: '--pair-a' },
    { path: '/vendor/uplot.js', type: 'text/javascript', contains: 'uPlot' },
    { path: '/vendor/uplot.css', type: 'text/css', contains: '.uplot' },
  ])('serves $path from its own files and node_modules', async ({ path, type, contains }) => {
    // Act
    const answer = await get(path);

    // Assert
    expect(answer.status).toBe(200);
    expect(answer.type).toContain(type);
    expect(answer.text).toContain(contains);
  });

  it('answers the API from its source, and request lookups from the lookup it was given', async () => {
    // Act
    const overview = await get('/api/overview');
    const objects = await get('/api/objects?minute=2026-11-23T10:42Z');
    const report = await get('/api/requests/abc-123');

    // Assert
    expect(JSON.parse(overview.text)).toEqual({ stackName: 'Test' });
    expect(source.objectsOf).toHaveBeenCalledWith('2026-11-23T10:42Z');
    expect(JSON.parse(objects.text)).toEqual([]);
    expect(JSON.parse(report.text)).toMatchObject({ requestId: 'abc-123' });
    expect(source.lookup).not.toHaveBeenCalled();
  });

  it("answers an analysis's windows from its source", async () => {
    // Act
    const answer = await get('/api/analyses/items-60s/windows');

    // Assert
    expect(answer.status).toBe(200);
    expect(source.windowsOf).toHaveBeenCalledWith('items-60s');
    expect(JSON.parse(answer.text)).toMatchObject({
      name: 'items-60s',
      windows: [],
      final: 0,
      provisional: 0,
    });
  });

  it.each([
    { error: new AnalysisNotFoundError('No analysis gone (registered: items-60s)'), status: 404 },
    { error: new WindowsUnavailableError('The windows could not be read; retry later'), status: 503 },
  ])("answers the API's $error.code with its status and message", async ({ error, status }) => {
    // Prepare
    source.windowsOf.mockRejectedValueOnce(error);

    // Act
    const answer = await get('/api/analyses/gone/windows');

    // Assert
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text).error).toEqual({ code: error.code, message: error.message });
  });

  it.each([
    { path: '/api/objects?minute=10:42', status: 400, code: 'INVALID_MINUTE' },
    { path: '/api/analyses/Items%2060s/windows', status: 400, code: 'INVALID_ANALYSIS' },
    { path: '/api/analyses/a/b/windows', status: 404, code: 'NOT_FOUND' },
    { path: '/api/requests/a%20b', status: 400, code: 'INVALID_REQUEST_ID' },
    { path: '/api/nothing', status: 404, code: 'NOT_FOUND' },
  ])('answers $path with $status $code', async ({ path, status, code }) => {
    // Act
    const answer = await get(path);

    // Assert
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text).error.code).toBe(code);
  });

  it('serves GET only', async () => {
    const answer = await get('/api/overview', { method: 'POST' });
    expect({ status: answer.status, code: JSON.parse(answer.text).error.code }).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    });
  });

  it('answers 500 INTERNAL when its source fails, and keeps serving', async () => {
    // Prepare
    source.overview.mockRejectedValueOnce(new Error('S3 is down'));

    // Act
    const failed = await get('/api/overview');
    const next = await get('/api/overview');

    // Assert
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.text).error).toEqual({ code: 'INTERNAL', message: 'S3 is down' });
    expect(next.status).toBe(200);
  });

  it('refuses a taken port with PORT_IN_USE, or takes a free one when told to', async () => {
    // Prepare
    const taken = Number(new URL(dashboard.url).port);

    // Act
    const refused = startDashboard({ deployment: DEPLOYMENT, port: taken, source });
    const other = await startDashboard({ deployment: DEPLOYMENT, port: taken, source, anyPortIfTaken: true });

    // Assert
    await expect(refused).rejects.toThrow(DashboardError);
    await expect(refused).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    expect(other.url).not.toBe(dashboard.url);
    await other.close();
  });
});
