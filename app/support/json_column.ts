/**
 * Column options for a JSON value stored in a `jsonb` column: PostgreSQL
 * returns it parsed, SQLite as text.
 */
export function jsonColumn<T>(fallback: T) {
  return {
    prepare: (value: T | null | undefined) =>
      value === null || value === undefined ? null : JSON.stringify(value),
    consume: (value: unknown): T =>
      typeof value === 'string' ? (JSON.parse(value) as T) : ((value as T | null) ?? fallback),
  }
}
