/**
 * Keys whose values are secrets wherever they appear in a payload. Matched
 * on the key name, case-insensitively, at any depth.
 */
const SECRET_KEY =
  /pass(word|wd|phrase)?|token|secret|api[-_]?key|authorization|cookie|credit[-_]?card|card[-_]?number|cvc|cvv|private[-_]?key|signature/i

export const REDACTED = '[REDACTED]'

const MAX_DEPTH = 8
const MAX_STRING = 2000
const MAX_KEYS = 200

/**
 * Returns a copy of `value` that is safe to store or log: secret-looking
 * keys are replaced, and depth, key count and string length are bounded so
 * an audit row can never balloon.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null
  if (typeof value === 'string') {
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…[truncated]` : value
  }
  if (typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  if (depth >= MAX_DEPTH) return '[truncated]'

  if (Array.isArray(value)) {
    return value.slice(0, MAX_KEYS).map((item) => redact(item, depth + 1))
  }

  const source =
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
      ? (value as { toJSON(): unknown }).toJSON()
      : value
  if (source === null || typeof source !== 'object') return redact(source, depth)

  const result: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(source).slice(0, MAX_KEYS)) {
    result[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1)
  }
  return result
}
