import { createHmac, timingSafeEqual } from 'node:crypto'

/** How old a signed request may be before a receiver refuses it (replays). */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300

/**
 * The `X-Parley-Signature` value of a webhook call:
 * `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` keyed with the
 * chatbot's webhook secret. Signing the timestamp with the body lets a
 * receiver refuse replays of an old, captured request.
 */
export function signWebhook(secret: string, timestamp: number | string, body: string) {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return `sha256=${digest}`
}

/**
 * Checks a webhook call as a receiver would: the signature matches the raw
 * body and timestamp (compared in constant time), and the timestamp is
 * within `toleranceSeconds` of now.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: number | string | undefined,
  body: string,
  signature: string | undefined,
  toleranceSeconds = WEBHOOK_SIGNATURE_TOLERANCE_SECONDS
) {
  if (!signature || timestamp === undefined || !/^\d{1,12}$/.test(String(timestamp))) return false
  const age = Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp))
  if (age > toleranceSeconds) return false

  const expected = Buffer.from(signWebhook(secret, timestamp, body))
  const given = Buffer.from(signature)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
