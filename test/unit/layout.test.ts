import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/project';

/** Every TypeScript file under a folder of the project, relative to the project root. */
const sourcesUnder = (folder: string): string[] =>
  readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(folder, file));

/** The project folders a file imports from (relative imports only), e.g. `lambdas/domain`. */
const importedFolders = (file: string): string[] =>
  [...readFileSync(path.join(PROJECT_ROOT, file), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map(
    ([, specifier]) =>
      path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, path.dirname(file), specifier ?? '')),
  );

describe('dependencies point one way', () => {
  it.each([
    { folder: 'cdk', forbidden: ['test'] },
    { folder: 'lambdas', forbidden: ['test', 'cdk'] },
  ])('nothing in $folder/ imports from $forbidden', ({ folder, forbidden }) => {
    // Act
    const offending = sourcesUnder(folder).flatMap((file) =>
      importedFolders(file)
        .filter((target) => forbidden.some((top) => target === top || target.startsWith(`${top}/`)))
        .map((target) => `${file} -> ${target}`),
    );

    // Assert
    expect(sourcesUnder(folder).length).toBeGreaterThan(5);
    expect(offending).toEqual([]);
  });
});
