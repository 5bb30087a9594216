/**
 * kubepoll: the library a job author imports. Deliberately not exported: the
 * transport, the request pipeline, the retry internals and the CLI (use the
 * `kubepoll` command), so they can change without breaking jobs. The test kit
 * is `kubepoll/testing`.
 */

export { ApiError } from './api-error.js';
export {
  AccessError,
  ConfigError,
  DeadlineError,
  InterruptedError,
  JobLoadError,
  KubepollError,
  SafetyLimitError,
} from './errors.js';
export { ExitCode } from './exit-codes.js';
export type {
  ApplyConfiguration,
  ApplyOptions,
  DeepPartial,
  DeleteStatus,
  EventNote,
  EventSubject,
  ForEachOptions,
  ForEachResult,
  GetOptions,
  JobDefinition,
  JsonPatchOperation,
  KubeObject,
  Limits,
  ListOptions,
  ObjectMeta,
  ObjectOptions,
  OwnerReference,
  PartialObjectMetadata,
  PatchOptions,
  RateLimit,
  ResourceDeclaration,
  ResourceRef,
  RetryOptions,
  RunContext,
  SettingSpec,
  SettingsSpec,
  SettingValues,
  Shard,
  Stored,
  StoredMeta,
  Subresource,
  Verb,
} from './job.js';
export { defineJob, resource } from './job.js';
export { TransportError } from './transport-error.js';
