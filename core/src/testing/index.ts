export * from './plugin-harness.ts'
export * from './relay-env.ts'
export * from './subscriber.ts'
export * from './plugin-source.ts'
