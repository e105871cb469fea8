import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../cdk/project';

/** Every TypeScript file under a folder of the project, relative to the project root. */
const sourcesUnder = (folder: string): string[] =>
  readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(folder, file));

/** What a file imports (type-only imports left out: they vanish at run time): specifiers as written. */
const importsOf = (file: string): string[] =>
  [
    ...readFileSync(path.join(PROJECT_ROOT, file), 'utf8').matchAll(
      /^import (?!type )[^;]*?from '([^']+)'/gms,
    ),
  ].map(([, specifier]) => specifier ?? '');

/** A relative specifier as a project file, e.g. `lambdas/domain/keys.ts`. */
const resolveRelative = (file: string, specifier: string): string =>
  `${path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, path.dirname(file), specifier))}.ts`;

/** The project folders a file imports from (relative imports only), e.g. `lambdas/domain`. */
const importedFolders = (file: string): string[] =>
  importsOf(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.dirname(resolveRelative(file, specifier)));

/** Every package a file loads, through the project files it imports, e.g. `aws-cdk-lib/aws-sqs`. */
function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const visited = new Set<string>();
  const visit = (file: string) => {
    if (visited.has(file) || !existsSync(path.join(PROJECT_ROOT, file))) return;
    visited.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) visit(resolveRelative(file, specifier));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return packages;
}

describe('dependencies point one way', () => {
  it.each([
    { folder: 'cdk', forbidden: ['test'] },
    { folder: 'cdk/ops', forbidden: ['cdk/local', 'cdk/lib', 'cdk/commands'] },
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

describe('tools start without the CDK', () => {
  // The CDK and cdk-nag take about a second to load; only what synthesizes may pay for them.
  const SYNTHESIZES = new Set(['test/static/check-template.ts']);
  const tools = ['cdk/commands', 'test/harness', 'test/bench', 'test/static']
    .flatMap(sourcesUnder)
    .filter((file) => /\brunTool\(|\btoolArgs\(/.test(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')))
    .filter((file) => !SYNTHESIZES.has(file));

  it.each(tools)('%s loads neither aws-cdk-lib nor cdk-nag', (tool) => {
    // Act
    const cdkPackages = [...packagesLoadedBy(tool)].filter((name) =>
      /^(aws-cdk-lib|cdk-nag)(\/|$)/.test(name),
    );

    // Assert
    expect(cdkPackages).toEqual([]);
  });

  it('finds the tools it checks', () => {
    expect(tools.length).toBeGreaterThanOrEqual(14);
    expect(packagesLoadedBy('test/static/check-template.ts')).toContain('aws-cdk-lib');
  });
});
