/**
 * Stands in for `@aws-sdk/credential-provider-node` in the function bundles (an esbuild alias, see
 * cdk/lib/function-bundling.ts). Lambda gives every function its role's credentials in
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and so does the local cloud, so the
 * default chain's file, SSO, web-identity and process providers, with the STS and SSO clients they
 * bring, are never used there: dropping them makes the bundles 27-38% smaller and init 18-24% faster
 * (docs/BENCHMARKS.md).
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
