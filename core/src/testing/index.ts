export * from './plugin-harness.ts'
export * from './relay-env.ts'
export * from './subscriber.ts'
export * from './plugin-source.ts'
export * from './tcp-proxy.ts'
// Transform scripts are tested through the real sandbox (examples/transforms/test).
export { createTransformRunner, eventViewFromPayload } from '../transform/index.ts'
// A test that spawns a relay reads the address it bound (PORT=0) from its log.
export { listeningAddress } from './relay-process.ts'
// Fan-out without a worker (tests of what an event page shows after it).
export { fanOutEvents } from '../worker/fanout.ts'
