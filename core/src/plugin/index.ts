export * from './contract.ts'
export * from './http-outcome.ts'
export * from './redact.ts'
export { EGRESS_REFUSED } from '../egress/errors.ts'
