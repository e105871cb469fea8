import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_DIR, PROJECT_ROOT } from '../project';

/** The local cloud's emulator (the contract's Commands and the local cloud), pinned: upgrades are deliberate. */
export const MINISTACK_VERSION = '1.5.33';
const VENV_DIR = path.join(LOCAL_DIR, 'venv');
const VENV_PYTHON = path.join(VENV_DIR, 'bin', 'python3');
/** MiniStack's own entry point, with two of its caches made cheap to keep (see the file). */
const MINISTACK_LAUNCHER = path.join(PROJECT_ROOT, 'cdk', 'local', 'run_ministack.py');
/**
 * The project's Node.js (the `node` package: Node 24, as Lambda's nodejs24.x). MiniStack starts a Node
 * function as plain `node` found on its own PATH (ministack/core/lambda_runtime.py,
 * `_detect_runtime_binary`), so this folder goes first on that PATH, whatever Node the machine has.
 */
const PROJECT_NODE_DIR = path.join(PROJECT_ROOT, 'node_modules', 'node', 'bin');

export class LocalCloudError extends Error {
  readonly code = 'LOCAL_CLOUD';
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}

export type Log = (message: string) => void;

function run(command: string, args: string[], log: Log): void {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new LocalCloudError(
      `${path.basename(command)} ${args[0]} failed (exit ${result.status ?? result.signal})`,
    );
  }
}

/** The first of $PYTHON, python3, python that is Python 3.10+ with venv (for the project's virtualenvs). */
function findPython(): string {
  for (const candidate of [process.env.PYTHON, 'python3', 'python'].filter(Boolean) as string[]) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'],
      {
        encoding: 'utf8',
      },
    );
    const [major, minor] = (probe.stdout ?? '').trim().split('.').map(Number);
    if (probe.status === 0 && major === 3 && (minor ?? 0) >= 10) return candidate;
  }
  throw new LocalCloudError(
    'The local tools need Python 3.10 or newer with the venv module (Debian/Ubuntu: apt-get install python3 python3-venv). ' +
      'Set PYTHON to its path if it is not python3.',
  );
}

/**
 * Installs the pinned PyPI packages (name -> exact version) into a project-local virtualenv, once:
 * nothing happens while every pinned version is already there.
 */
export function ensureVenv(venvDir: string, pins: Readonly<Record<string, string>>, log: Log): void {
  const names = Object.keys(pins);
  const installed = spawnSync(
    path.join(venvDir, 'bin', 'python'),
    [
      '-c',
      'import importlib.metadata as m, sys; print(" ".join(m.version(n) for n in sys.argv[1:]))',
      ...names,
    ],
    {
      encoding: 'utf8',
    },
  );
  const wanted = names.map((name) => pins[name]).join(' ');
  if (installed.status === 0 && installed.stdout.trim() === wanted) return;
  const requirements = names.map((name) => `${name}==${pins[name]}`);
  log(`Installing ${requirements.join(' ')} into ${path.relative(PROJECT_ROOT, venvDir)} (once)...`);
  if (!existsSync(path.join(venvDir, 'bin', 'pip'))) run(findPython(), ['-m', 'venv', venvDir], log);
  run(
    path.join(venvDir, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '--progress-bar', 'on', ...requirements],
    log,
  );
}

/** Installs MiniStack into the project's own virtualenv (.local/venv) unless the pinned version is there. */
export function ensureMiniStack(log: Log): void {
  ensureVenv(VENV_DIR, { ministack: MINISTACK_VERSION }, log);
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly port: number;
  /** Folder for this instance's state, temp files and log. */
  readonly dir: string;
  /**
   * Keep the emulator's state (stacks, API ids and keys, queues, objects) in `dir` across stops and
   * starts, so a restart answers on the same API URL with the same key and keeps the data; without
   * it, `dir` is emptied at start.
   */
  readonly persist?: boolean;
  readonly log: Log;
  readonly healthTimeoutMs?: number;
}

async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/_ministack/health`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new LocalCloudError(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Variables of ours that must not leak into the emulator: it passes its environment to every Lambda. */
const withoutAwsSettings = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('AWS_') && !name.startsWith('CDK_')),
  );

/**
 * Starts MiniStack on 127.0.0.1:<port> with Node.js Lambdas run as local processes, in its own
 * process group so that `stop()` ends it and every function process it started.
 */
export async function startMiniStack(options: StartOptions): Promise<LocalCloud> {
  const endpoint = `http://127.0.0.1:${options.port}`;
  if (await isHealthy(endpoint)) {
    throw new LocalCloudError(
      `Something already answers on ${endpoint}: stop it, or set AWS_ENDPOINT_URL=${endpoint} to use it`,
    );
  }
  // Function processes are unpacked afresh at every start; state and objects only go when not persisted.
  for (const sub of options.persist ? ['tmp'] : ['']) {
    rmSync(path.join(options.dir, sub), { recursive: true, force: true });
  }
  for (const sub of ['state', 's3', 'tmp']) mkdirSync(path.join(options.dir, sub), { recursive: true });
  // Functions are unpacked under tmp/, inside this project, whose package.json says "type": "module".
  // This marker keeps Node from loading the CommonJS bundles (and MiniStack's worker) as ES modules.
  writeFileSync(path.join(options.dir, 'tmp', 'package.json'), '{ "type": "commonjs" }\n');
  if (!existsSync(path.join(PROJECT_NODE_DIR, 'node'))) {
    throw new LocalCloudError(`No Node.js in ${PROJECT_NODE_DIR} for the functions: run npm ci`);
  }
  const logFile = path.join(options.dir, 'ministack.log');
  const output = openSync(logFile, 'a');
  const child: ChildProcess = spawn(VENV_PYTHON, [MINISTACK_LAUNCHER], {
    detached: true,
    stdio: ['ignore', output, output],
    env: {
      ...withoutAwsSettings(process.env),
      PATH: [PROJECT_NODE_DIR, process.env.PATH].filter(Boolean).join(path.delimiter),
      GATEWAY_PORT: String(options.port),
      BIND_HOST: '127.0.0.1',
      // Functions reach the emulator at http://127.0.0.1:<port>; queue URLs on the same host keep the
      // SDK from warning on every send that QueueUrl and its endpoint differ.
      MINISTACK_HOST: '127.0.0.1',
      LAMBDA_EXECUTOR: 'local',
      LOG_LEVEL: 'INFO',
      STATE_DIR: path.join(options.dir, 'state'),
      S3_DATA_DIR: path.join(options.dir, 's3'),
      TMPDIR: path.join(options.dir, 'tmp'),
      PERSIST_STATE: options.persist ? '1' : '0',
      S3_PERSIST: options.persist ? '1' : '0',
      IOT_MTLS_ENABLED: '0',
      SFTP_ENABLED: '0',
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new LocalCloudError(`Could not start ${MINISTACK_LAUNCHER}`);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const stop = async () => {
    if (exited) return;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    signalGroup('SIGTERM');
    try {
      await waitUntil('MiniStack to stop', async () => exited, 5000);
    } catch {
      signalGroup('SIGKILL');
    }
  };

  try {
    await waitUntil(
      `MiniStack health at ${endpoint} (log: ${logFile})`,
      async () => {
        if (exited) throw new LocalCloudError(`MiniStack exited during start; see ${logFile}`);
        return isHealthy(endpoint);
      },
      options.healthTimeoutMs ?? 30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  options.log(`MiniStack ${MINISTACK_VERSION} is up at ${endpoint} (pid ${pid})`);
  return { endpoint, pid, logFile, stop };
}
