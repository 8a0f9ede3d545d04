/**
 * The per-source `verification` setting: which scheme the sender signs with and the
 * shared secret. A union discriminated by `type`; unknown fields are rejected so a typo
 * such as `secert` fails at `POST /api/v1/sources` instead of silently disabling a check.
 *
 * Every `secret` field is sensitive: the API must store it encrypted and mask it.
 */
import Type, { type Static } from 'typebox'
import { DEFAULT_TOLERANCE_SEC } from '../../signing/timestamp.ts'
import { DIGEST_ENCODINGS, HMAC_ALGORITHMS } from './digest.ts'

/** A day: a wider window would make replay protection meaningless. */
export const MAX_TOLERANCE_SEC = 86_400

const Secret = Type.String({ minLength: 1, description: 'Shared signing secret (stored encrypted, masked in responses).' })
const ToleranceSec = Type.Optional(
  Type.Integer({
    minimum: 1,
    maximum: MAX_TOLERANCE_SEC,
    default: DEFAULT_TOLERANCE_SEC,
    description: 'Accepted clock difference between the signed timestamp and now, in seconds.',
  }),
)
const strict = { additionalProperties: false } as const
/**
 * For schemes that sign only the body: how long a second request with the same
 * signature is a replay (answered as a duplicate). Unset: as long as the event is kept.
 * Shorten it for a sender that legitimately sends identical bodies.
 */
const ReplayWindowSec = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400, description: 'Seconds a repeated signature counts as a replay; unset: while the event is kept.' }),
)

export const GithubVerificationSchema = Type.Object({ type: Type.Literal('github'), secret: Secret, replayWindowSec: ReplayWindowSec }, strict)

export const StripeVerificationSchema = Type.Object(
  { type: Type.Literal('stripe'), secret: Secret, toleranceSec: ToleranceSec },
  strict,
)

export const SlackVerificationSchema = Type.Object(
  { type: Type.Literal('slack'), secret: Secret, toleranceSec: ToleranceSec },
  strict,
)

export const ShopifyVerificationSchema = Type.Object({ type: Type.Literal('shopify'), secret: Secret, replayWindowSec: ReplayWindowSec }, strict)

export const StandardWebhooksVerificationSchema = Type.Object(
  {
    type: Type.Literal('standard-webhooks'),
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
      description: 'whsec_ followed by the base64 key, as the sender shows it.',
    }),
    toleranceSec: ToleranceSec,
  },
  strict,
)

export const HmacVerificationSchema = Type.Object(
  {
    type: Type.Literal('hmac'),
    secret: Secret,
    /** An HTTP header name (RFC 9110 token). */
    header: Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", maxLength: 256 }),
    algorithm: Type.Enum(HMAC_ALGORITHMS),
    encoding: Type.Enum(DIGEST_ENCODINGS),
    prefix: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: "Text before the digest, e.g. 'sha256='." }),
    ),
    replayWindowSec: ReplayWindowSec,
  },
  strict,
)

export const VerificationSchema = Type.Union([
  GithubVerificationSchema,
  StripeVerificationSchema,
  SlackVerificationSchema,
  ShopifyVerificationSchema,
  StandardWebhooksVerificationSchema,
  HmacVerificationSchema,
])
export type Verification = Static<typeof VerificationSchema>
export type VerificationType = Verification['type']
