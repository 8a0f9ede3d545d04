/**
 * Transform scripts: sandboxed JavaScript that reshapes an event per subscription.
 * The script contract is in docs/transforms.md.
 */
export { createTransformRunner } from './runner.ts'
export { eventViewFromPayload } from './event-view.ts'
export type { PastedEvent } from './event-view.ts'
export { toSandboxEvent } from './sandbox-event.ts'
export type { SandboxEvent } from './sandbox-event.ts'
export { JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE } from './to-outcome.ts'
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_POOL_SIZE,
  DEFAULT_TIMEOUT_MS,
  MAX_SCRIPT_BYTES,
} from './types.ts'
export type {
  TransformError,
  TransformErrorKind,
  TransformLog,
  TransformLogLevel,
  TransformOutcome,
  TransformRunner,
  TransformRunnerOptions,
  TransformRunnerStats,
} from './types.ts'
