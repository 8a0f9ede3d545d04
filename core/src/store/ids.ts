/**
 * Identifiers. UUIDv7 (time-ordered) keeps the primary-key index append-mostly under
 * heavy ingest, unlike random v4. The webhook id sent to receivers is derived from the
 * delivery id, so it is stable across that delivery's retries and replays.
 */
import { v7 } from 'uuid'

export const newId = (): string => v7()
export const webhookIdFor = (deliveryId: string): string => `msg_${deliveryId.replaceAll('-', '')}`
export const isUuid = (s: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
