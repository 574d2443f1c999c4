import { DateTime } from 'luxon'
import ApiException from '#exceptions/api_exception'
import { sqlTime } from '#support/sql_time'

/**
 * Keyset pagination over rows ordered by a time column then id, both
 * descending: a cursor names a row, the next (older) page is what comes
 * after it, the previous (newer) page what comes just before it. Unlike
 * offsets it costs the same on page 1 and on page 10,000 (bench/README.md,
 * scale).
 */
export type KeysetQuery = {
  whereRaw(sql: string, bindings: unknown[]): unknown
}

/** A query `readKeysetPage` can narrow, reorder and run. */
export type KeysetReadQuery<Row> = KeysetQuery & {
  clearOrder(): unknown
  orderBy(column: string, direction: 'asc' | 'desc'): unknown
  limit(limit: number): unknown
  exec(): Promise<Row[]>
}

/** The opaque cursor of the row at `at` with `id`. */
export function encodeCursor(at: DateTime, id: number) {
  return Buffer.from(`${at.toMillis()}.${id}`).toString('base64url')
}

function badCursor(message = 'This cursor is not valid: use the one a page gave you.') {
  return new ApiException(message, 'BAD_CURSOR', 422)
}

/** The position a cursor names; 422 `BAD_CURSOR` for anything else. */
export function decodeCursor(cursor: string) {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('.').map(Number)
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id) || id < 1) throw badCursor()
  return { at: DateTime.fromMillis(at), id }
}

/**
 * Rows on one side of the cursor's position: `<` older, `>` newer.
 */
function beyond(
  query: KeysetQuery,
  direction: '<' | '>',
  column: string,
  idColumn: string,
  cursor: string
) {
  const { at, id } = decodeCursor(cursor)
  // A row comparison (PostgreSQL, SQLite ≥ 3.15) is one index range on
  // (…, column, id); the equivalent `a < x or (a = x and id < y)` made the
  // planner read the index from its start and filter (bench/README.md).
  query.whereRaw(`(??, ??) ${direction} (?, ?)`, [column, idColumn, sqlTime(at), id])
}

/**
 * Narrows `query` (ordered by `column` desc, `idColumn` desc) to the rows
 * after `cursor`.
 */
export function afterCursor(query: KeysetQuery, column: string, idColumn: string, cursor: string) {
  beyond(query, '<', column, idColumn, cursor)
}

/**
 * One page of `limit` rows of `query` (ordered by `column` desc, `idColumn`
 * desc), newest first: the rows after `after` (older), the rows just before
 * `before` (newer: read upwards from the cursor, then put back in order),
 * or the first page. `older` and `newer` are the cursors of the pages on
 * either side, null where there is none.
 */
export async function readKeysetPage<Row>(
  query: KeysetReadQuery<Row>,
  options: {
    column: string
    idColumn: string
    limit: number
    after?: string
    before?: string
    cursorOf: (row: Row) => string
  }
) {
  const { column, idColumn, limit, after, before, cursorOf } = options
  if (after !== undefined && before !== undefined) {
    throw badCursor('Send one cursor: `cursor` for older entries or `before` for newer ones.')
  }
  if (before !== undefined) {
    beyond(query, '>', column, idColumn, before)
    query.clearOrder()
    query.orderBy(column, 'asc')
    query.orderBy(idColumn, 'asc')
  } else if (after !== undefined) beyond(query, '<', column, idColumn, after)
  query.limit(limit + 1)
  const rows = await query.exec()
  const more = rows.length > limit
  const page = rows.slice(0, limit)
  if (before !== undefined) page.reverse()
  const first = page[0]
  const last = page[page.length - 1]
  // Read upwards, the row the cursor names is older than the page; read
  // downwards from a cursor, that row is newer.
  const hasOlder = before !== undefined || more
  const hasNewer = before !== undefined ? more : after !== undefined
  return {
    rows: page,
    older: hasOlder && last !== undefined ? cursorOf(last) : null,
    newer: hasNewer && first !== undefined ? cursorOf(first) : null,
  }
}
