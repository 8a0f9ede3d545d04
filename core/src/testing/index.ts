export * from './plugin-harness.ts'
