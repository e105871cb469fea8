import * as path from 'node:path';
import { PROJECT_ROOT } from '../project';

/**
 * How the functions are bundled, in one place for the stack (PipelineFunction) and the cold-start
 * benchmark; free of aws-cdk-lib, so the benchmark can load it without loading the CDK.
 */

export const FUNCTION_BUNDLING = {
  // Lambda runs the functions on nodejs24.x, and the local cloud on the project's Node 24 (the `node` package).
  target: 'node24',
  minify: true,
  // Error class names survive minification, so logs say InjectedFaultError, not "Ei".
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  /** Module -> replacement, both resolved by esbuild from the project root. */
  alias: {
    '@aws-sdk/credential-provider-node': path.join(PROJECT_ROOT, 'lambdas/shared/lambda-credentials.ts'),
  },
} as const;
