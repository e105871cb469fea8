import { type ParseArgsConfig, parseArgs } from 'node:util';
import { messageOf } from '../../lambdas/domain/errors';
import { UsageError } from './cli-options';

/** Runs a tool's main function: prints a failure as one line (no stack) and exits 1, or 2 on a usage error. */
export function runTool(main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      console.error(`error: ${messageOf(error)}`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}

/**
 * Parses `process.argv` for a tool. `--help` (`-h`) prints `usage` and exits 0; an unknown option, or a
 * stray argument to a tool that takes none, is a usage error (exit 2) that names it, not a stack trace.
 */
export function toolArgs<T extends ParseArgsConfig['options']>(
  usage: string,
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
) {
  const parse = () =>
    parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${messageOf(error)}\n\n${usage}`);
    process.exit(2);
  }
  // parseArgs types `values` from the options given, which `help` only joins here.
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
