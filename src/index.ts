/**
 * kubepoll: the library a job author imports. Deliberately not exported: the
 * transport, the retry internals and the CLI (use the `kubepoll` command), so
 * they can change without breaking jobs. The test kit is `kubepoll/testing`.
 */

export { ApiError } from './api-error.js';
export { AccessError, ConfigError, DeadlineError, InterruptedError, JobLoadError, KubepollError } from './errors.js';
export { ExitCode } from './exit-codes.js';
export type {
  JobDefinition,
  KubeObject,
  ListOptions,
  ObjectOptions,
  ResourceDeclaration,
  ResourceRef,
  RetryOptions,
  RunContext,
  Verb,
} from './job.js';
export { defineJob } from './job.js';
export { TransportError } from './transport-error.js';
