import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { FUNCTION_BUNDLING } from '../../cdk/lib/function-bundling';
import { PROJECT_ROOT } from '../../cdk/project';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-names';
import { BATCH_ENV, INGEST_ENV, medianOf, type Progress } from './measure';

/** Cold start: bundle size and require + module init of the function bundles, in fresh processes. */

export interface BundleResult {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Median require + module init, with NODE_OPTIONS=--enable-source-maps as the stack sets it. */
  readonly initMs: number;
  /** The same without --enable-source-maps, measured alternately with `initMs`. */
  readonly initMsWithoutSourceMaps: number;
  /** `initMs` over the hello-world bundle's `initMs`. */
  readonly initRatioToHello: number;
  /** Packages (or own code) by bytes in the minified bundle, largest first. */
  readonly biggestInputs: readonly { readonly name: string; readonly bytes: number }[];
}

export interface ColdStartResult {
  readonly node: string;
  readonly runs: number;
  readonly bundles: BundleResult[];
}

interface BundleSpec {
  readonly name: string;
  /** Relative to the project root; the hello-world floor is written into the temp folder instead. */
  readonly entry?: string;
  /** What the handler needs at init on top of the common environment. */
  readonly env: Readonly<Record<string, string>>;
}

const BUNDLES: readonly BundleSpec[] = [
  { name: 'hello', env: {} },
  {
    name: 'ingest',
    entry: 'lambdas/ingest/handler.ts',
    env: { ...INGEST_ENV, POWERTOOLS_SERVICE_NAME: 'ingest' },
  },
  {
    name: 'batch',
    entry: 'lambdas/batch/handler.ts',
    env: { ...BATCH_ENV, POWERTOOLS_SERVICE_NAME: 'batch' },
  },
];

const HELLO_SOURCE = 'export const handler = async () => ({ statusCode: 200 });\n';

// Runs in the child: only the require is timed, not Node's own start-up. The time goes on a line of
// its own, after whatever the module printed at init (the functions log their cold start).
const INIT_LINE = 'init-ms=';
const LOADER_SOURCE = `const file = process.argv[2];
const start = process.hrtime.bigint();
const loaded = require(file);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
if (typeof loaded.handler !== 'function') throw new Error(file + ' exports no handler');
process.stdout.write('\\n${INIT_LINE}' + ms + '\\n');
`;

/** Modules swapped in a bundle on top of the stack's own: the bench's variants of a function. */
export interface BundleSwaps {
  /** Packages -> replacements (esbuild's `alias`), e.g. SNS's client for ingest before the dispatcher. */
  readonly packages?: Readonly<Record<string, string>>;
  /**
   * Own modules, by their path from the root without extension (`lambdas/ledger/dynamodb-ledger`) ->
   * replacement files. esbuild's alias takes packages only; each one named here must be bundled.
   */
  readonly modules?: Readonly<Record<string, string>>;
  /** The tree to bundle (a commit checked out elsewhere); the project root by default. */
  readonly root?: string;
}

/** Resolves relative imports of the swapped own modules to their replacements, noting which it met. */
function swapOwnModules(root: string, modules: Readonly<Record<string, string>>, met: Set<string>): Plugin {
  return {
    name: 'swap-own-modules',
    setup(builder) {
      builder.onResolve({ filter: /^\.\.?\// }, (args) => {
        const module = path
          .relative(root, path.resolve(args.resolveDir, args.path))
          .split(path.sep)
          .join('/')
          .replace(/\.[cm]?[jt]s$/, '');
        const replacement = modules[module];
        if (replacement === undefined) return undefined;
        met.add(module);
        return { path: replacement };
      });
    },
  };
}

/**
 * The esbuild options NodejsFunction derives from PipelineFunction's bundling props, from the same
 * settings (cdk/lib/function-bundling.ts), run from the project root as CDK does. `sourcemap: true`
 * is CDK's `--sourcemap`: an external file plus the sourceMappingURL comment that Node follows.
 */
export async function bundleLikeTheStack(
  entry: string,
  outfile: string,
  swaps: BundleSwaps = {},
): Promise<Metafile> {
  const { packages = {}, modules = {}, root = PROJECT_ROOT } = swaps;
  const met = new Set<string>();
  const result = await build({
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: 'cjs',
    minify: FUNCTION_BUNDLING.minify,
    keepNames: FUNCTION_BUNDLING.keepNames,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    alias: { ...FUNCTION_BUNDLING.alias, ...packages },
    plugins: Object.keys(modules).length === 0 ? [] : [swapOwnModules(root, modules, met)],
    external: [],
    metafile: true,
    logLevel: 'warning',
  });
  const missing = Object.keys(modules).filter((module) => !met.has(module));
  if (missing.length > 0) throw new Error(`${entry} in ${root} imports no ${missing.join(', ')} to swap`);
  return result.metafile;
}

const packageOf = (input: string): string => {
  const at = input.lastIndexOf('node_modules/');
  if (at === -1) return 'own code';
  const [first = input, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
};

function biggestInputs(metafile: Metafile, count: number): { name: string; bytes: number }[] {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

const execFileAsync = promisify(execFile);

interface BuiltBundle {
  readonly spec: BundleSpec;
  readonly file: string;
  readonly metafile: Metafile;
  readonly code: Buffer;
  readonly mapBytes: number;
  readonly withMaps: number[];
  readonly withoutMaps: number[];
}

async function initMs(
  loader: string,
  file: string,
  env: Readonly<Record<string, string>>,
  sourceMaps: boolean,
): Promise<number> {
  // A minimal environment, like a function's: nothing from this process leaks into the child.
  const { stdout } = await execFileAsync(process.execPath, [loader, file], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      ...env,
    },
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(INIT_LINE));
  if (line === undefined) throw new Error(`${file} printed no init time: ${stdout.slice(0, 200)}`);
  return Number(line.slice(INIT_LINE.length));
}

/**
 * Bundles the hello-world floor and both handlers as the stack does, then times require + module
 * init in `runs` fresh processes each, alternating bundles and source-map settings so that noise
 * spreads evenly over them.
 */
export async function benchColdStart(runs = 7, onProgress?: Progress): Promise<ColdStartResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-cold-start-'));
  try {
    // The project's package.json says "type": "module"; the temp folder is outside it anyway, but
    // the marker keeps the CommonJS bundles CommonJS wherever tmpdir() points.
    await writeFile(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    const loader = path.join(dir, 'loader.js');
    await writeFile(loader, LOADER_SOURCE);
    const helloEntry = path.join(dir, 'hello.ts');
    await writeFile(helloEntry, HELLO_SOURCE);

    const built: BuiltBundle[] = [];
    for (const spec of BUNDLES) {
      onProgress?.(`bundling ${spec.name}`);
      const file = path.join(dir, `${spec.name}.js`);
      const metafile = await bundleLikeTheStack(spec.entry ?? helloEntry, file);
      const code = await readFile(file);
      const map = await readFile(`${file}.map`);
      built.push({ spec, file, metafile, code, mapBytes: map.length, withMaps: [], withoutMaps: [] });
    }

    // Round 0 warms the page cache and Node's own start-up paths; it is not counted.
    for (let round = 0; round <= runs; round += 1) {
      for (const bundle of built) {
        const order = round % 2 === 0 ? [true, false] : [false, true];
        for (const sourceMaps of order) {
          const ms = await initMs(loader, bundle.file, bundle.spec.env, sourceMaps);
          if (round > 0) (sourceMaps ? bundle.withMaps : bundle.withoutMaps).push(ms);
        }
      }
      if (round > 0) onProgress?.(`cold start: run ${round}/${runs}`);
    }

    const helloMs = medianOf(built[0]?.withMaps ?? []);
    return {
      node: process.version,
      runs,
      bundles: built.map((bundle) => ({
        name: bundle.spec.name,
        bytes: bundle.code.length,
        gzipBytes: gzipSync(bundle.code).length,
        sourceMapBytes: bundle.mapBytes,
        initMs: medianOf(bundle.withMaps),
        initMsWithoutSourceMaps: medianOf(bundle.withoutMaps),
        initRatioToHello: medianOf(bundle.withMaps) / helloMs,
        biggestInputs: biggestInputs(bundle.metafile, 8),
      })),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
