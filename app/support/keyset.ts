import { DateTime } from 'luxon'
import ApiException from '#exceptions/api_exception'
import { sqlTime } from '#support/sql_time'

/**
 * Keyset pagination over rows ordered by a time column then id, both
 * descending: the cursor names the last row of a page, the next page is
 * what comes after it. Unlike offsets it costs the same on page 1 and on
 * page 10,000 (bench/README.md, scale).
 */
export type KeysetQuery = {
  whereRaw(sql: string, bindings: unknown[]): unknown
}

/** The opaque cursor of the row at `at` with `id`. */
export function encodeCursor(at: DateTime, id: number) {
  return Buffer.from(`${at.toMillis()}.${id}`).toString('base64url')
}

/** The position a cursor names; 422 `BAD_CURSOR` for anything else. */
export function decodeCursor(cursor: string) {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('.').map(Number)
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id) || id < 1) {
    throw new ApiException(
      'This cursor is not valid: use the one a page gave you.',
      'BAD_CURSOR',
      422
    )
  }
  return { at: DateTime.fromMillis(at), id }
}

/**
 * Narrows `query` (ordered by `column` desc, `idColumn` desc) to the rows
 * after `cursor`.
 */
export function afterCursor(query: KeysetQuery, column: string, idColumn: string, cursor: string) {
  const { at, id } = decodeCursor(cursor)
  // A row comparison (PostgreSQL, SQLite ≥ 3.15) is one index range on
  // (…, column, id); the equivalent `a < x or (a = x and id < y)` made the
  // planner read the index from its start and filter (bench/README.md).
  query.whereRaw('(??, ??) < (?, ?)', [column, idColumn, sqlTime(at), id])
}
