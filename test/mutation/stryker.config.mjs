// @ts-check
/**
 * Mutation testing of the functions' code (lambdas/**) against the unit tier:
 * `npm run test:mutation` (stryker run test/mutation/stryker.config.mjs). Not part of `npm test`:
 * a full run takes about 3.5 minutes on the 2-core development machine (about 8 while many mutants
 * survived: a survivor runs every test that covers it), an incremental run with nothing changed 30 s.
 * StrykerJS 9.6.1 is the last release that runs on Node 20; 10.x needs Node 22.
 *
 * - Reports (html, json) and the incremental file go to .local/mutation/ (ignored by git), the
 *   sandboxes to .local/stryker-tmp/, so the run writes nothing at the repository's top level.
 * - Incremental: a run re-tests only mutants whose code or covering tests changed since the last
 *   one; `npm run test:mutation -- --force` re-tests everything.
 * - No TypeScript checker (@stryker-mutator/typescript-checker): it type-checks every mutant in a
 *   whole-program tsc build, and took about 40 minutes here. Mutants that do not type-check simply
 *   run; vitest strips types, so they are killed or survive on behaviour alone.
 * - Equivalent mutants are disabled where they are, each with its reason:
 *   `// Stryker disable next-line <mutator>: <reason>`.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: ['lambdas/**/*.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  checkers: [],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: '.local/mutation/index.html' },
  jsonReporter: { fileName: '.local/mutation/mutation.json' },
  incremental: true,
  incrementalFile: '.local/mutation/incremental.json',
  tempDirName: '.local/stryker-tmp',
  // Nothing the unit tests read: the local clouds' virtualenvs and state, synthesized templates.
  ignorePatterns: ['/.local', '/cdk.out', '/coverage'],
  thresholds: { high: 90, low: 80, break: 90 },
};
