import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-options';

/** Runs a tool's main function: prints a failure as one line (no stack) and exits 1, or 2 on a usage error. */
export function runTool(main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}

/**
 * Parses `process.argv`, turning an unknown option, or a stray argument to a tool that takes none,
 * into a usage error (exit 2) that names it, rather than a stack trace.
 */
export function toolArgs<T extends ParseArgsConfig['options']>(
  usage: string,
  options: T,
  { positionals = false }: { positionals?: boolean } = {},
) {
  try {
    return parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
}
