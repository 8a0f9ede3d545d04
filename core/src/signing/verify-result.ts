/** Outcome of an inbound signature check. `reason` is shown to the sender in the 401 body, so it never contains a secret. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string }

export const VERIFIED: VerifyResult = Object.freeze({ ok: true })

export function rejected(reason: string): VerifyResult {
  return { ok: false, reason }
}
