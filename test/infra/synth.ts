import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';
import { addPipeline } from '../../cdk/lib/pipeline-app';
import type { PipelineStack } from '../../cdk/lib/pipeline-stack';

// Every synthesis of a test file goes under one temporary folder, removed when the file is done.
const assemblies = mkdtempSync(path.join(tmpdir(), 'pipeline-synth-'));
afterAll(() => rmSync(assemblies, { recursive: true, force: true }));

/** A fresh assembly folder for an App built by hand in a test. */
export const assemblyDir = (): string => mkdtempSync(path.join(assemblies, 'app-'));

export interface Synthesized {
  readonly app: App;
  readonly stack: PipelineStack;
  readonly template: Template;
}

/**
 * Builds the app exactly as `cdk synth` does (config, stack, cdk-nag). Bundling is skipped unless
 * asked for: template assertions do not need the Lambda code, and esbuild takes seconds.
 */
export function synthPipeline(
  pipeline: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): Synthesized {
  const app = new App({
    outdir: assemblyDir(),
    context: { pipeline, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stack = addPipeline(app);
  return { app, stack, template: Template.fromStack(stack) };
}
