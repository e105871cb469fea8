import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ANALYSIS_LIMITS } from '../../../lambdas/domain/analyses';
import { ApiError, messageOf, PipelineError } from '../../../lambdas/domain/errors';
import type { Deployment } from '../deployment';
import { DashboardData } from './data';
import type { RequestLookup } from './figures';

/** The live dashboard: one page and a JSON API over a deployment, on 127.0.0.1 only. */

/** `npm run dashboard`'s port unless told otherwise; `npm start` takes another free one if it is taken. */
export const DEFAULT_DASHBOARD_PORT = 4680;

export type DashboardErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INVALID_MINUTE'
  | 'INVALID_REQUEST_ID'
  | 'INVALID_ANALYSIS'
  | 'PORT_IN_USE';

export class DashboardError extends PipelineError {
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const require = createRequire(import.meta.url);
const page = (file: string) => fileURLToPath(new URL(`./page/${file}`, import.meta.url));

/** The page's files; the chart library comes from node_modules (no CDN: it must work offline). */
const FILES: Record<string, { readonly path: string; readonly type: string }> = {
  '/': { path: page('index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: page('app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { path: page('style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uplot.js': {
    path: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uplot.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;
const { min: NAME_MIN, max: NAME_MAX } = ANALYSIS_LIMITS.nameLength;
const ANALYSIS_NAME = new RegExp(`^[a-z0-9-]{${NAME_MIN},${NAME_MAX}}$`);

/** What the server shows: DashboardData reads it from a deployment. */
export type DashboardSource = Pick<DashboardData, 'overview' | 'objectsOf' | 'lookup' | 'windowsOf'>;

export interface DashboardOptions {
  readonly deployment: Deployment;
  /** 0 for any free port. */
  readonly port: number;
  /** Take any free port when `port` is taken (npm start) rather than fail (npm run dashboard --port). */
  readonly anyPortIfTaken?: boolean;
  /** What the page shows; by default read from the deployment. */
  readonly source?: DashboardSource;
  /** Where request lookups go; by default the source's search of the stored objects. */
  readonly lookup?: RequestLookup;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

interface Answer {
  readonly type: string;
  readonly body: string | Buffer;
}

const json = (value: unknown): Answer => ({
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});

async function route(
  request: IncomingMessage,
  source: DashboardSource,
  lookup: RequestLookup,
): Promise<Answer> {
  if (request.method !== 'GET')
    throw new DashboardError('METHOD_NOT_ALLOWED', `${request.method} is not served: GET only`, 405);
  const url = new URL(request.url ?? '/', 'http://dashboard');
  const file = FILES[url.pathname];
  if (file) return { type: file.type, body: await readFile(file.path) };
  if (url.pathname === '/api/overview') return json(await source.overview());
  if (url.pathname === '/api/objects') {
    const minute = url.searchParams.get('minute') ?? '';
    if (!MINUTE.test(minute))
      throw new DashboardError('INVALID_MINUTE', `minute must be like 2026-11-23T10:42Z (got "${minute}")`);
    return json(await source.objectsOf(minute));
  }
  const requestId = /^\/api\/requests\/(.*)$/.exec(url.pathname)?.[1];
  if (requestId !== undefined) {
    const id = decodeURIComponent(requestId);
    if (!REQUEST_ID.test(id))
      throw new DashboardError('INVALID_REQUEST_ID', `a request id is 1-128 of [A-Za-z0-9_-] (got "${id}")`);
    return json(await lookup(id));
  }
  // A name needs no escaping: a segment that is not one as it stands is refused.
  const name = /^\/api\/analyses\/([^/]*)\/windows$/.exec(url.pathname)?.[1];
  if (name !== undefined) {
    if (!ANALYSIS_NAME.test(name)) {
      throw new DashboardError(
        'INVALID_ANALYSIS',
        `an analysis name is ${NAME_MIN}-${NAME_MAX} of [a-z0-9-] (got "${name}")`,
      );
    }
    return json(await source.windowsOf(name));
  }
  throw new DashboardError('NOT_FOUND', `nothing at ${url.pathname}`, 404);
}

/**
 * Errors answer in the pipeline's own shape: `{"error":{"code","message"}}`; the API's own errors
 * (e.g. an analysis's 404 ANALYSIS_NOT_FOUND or 503 WINDOWS_UNAVAILABLE) with their status and code.
 */
const errorAnswer = (error: unknown): { status: number; answer: Answer } => {
  const known = error instanceof DashboardError || error instanceof ApiError;
  return {
    status: known ? error.status : 500,
    answer: json({
      error: {
        code: known ? error.code : 'INTERNAL',
        message: messageOf(error),
      },
    }),
  };
};

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new DashboardError('PORT_IN_USE', `port ${port} is taken: choose another with --port`)
          : error,
      );
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const source = options.source ?? new DashboardData(options.deployment);
  const lookup = options.lookup ?? source.lookup;
  const server = createServer((request, response) => {
    const reply = (status: number, { type, body }: Answer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    route(request, source, lookup).then(
      (answer) => reply(200, answer),
      (error: unknown) => {
        const { status, answer } = errorAnswer(error);
        reply(status, answer);
      },
    );
  });
  let port: number;
  try {
    port = await listen(server, options.port);
  } catch (error) {
    if (!(options.anyPortIfTaken && error instanceof DashboardError)) throw error;
    port = await listen(server, 0);
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        // The page polls over keep-alive connections, which would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
