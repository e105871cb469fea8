import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The unit tier alone, for the mutation run (test/mutation/stryker.config.mjs): Stryker's vitest
 * runner cannot pick one project of the top-level vitest.config.ts, and the infra and e2e tiers are
 * far too slow to run once per mutant. Same include as the `unit` project there.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
});
