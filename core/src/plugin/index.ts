export * from './contract.ts'
export * from './http-outcome.ts'
export * from './redact.ts'
