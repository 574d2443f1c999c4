/**
 * Whether the database refused a row for breaking a unique index
 * (PostgreSQL and SQLite): the sign a concurrent request got there first.
 */
export function isUniqueViolation(error: unknown) {
  const code = (error as { code?: string })?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}
