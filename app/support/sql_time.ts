import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'

/**
 * A moment as the database compares it in a query (`where created_at < ?`):
 * in UTC, formatted for the dialect. SQLite stores timestamps as text, so
 * a JS Date would be compared as a number there.
 */
export function sqlTime(moment: DateTime | Date = DateTime.utc()) {
  const value = moment instanceof Date ? DateTime.fromJSDate(moment) : moment
  return value.toUTC().toFormat(db.connection().dialect.dateTimeFormat)
}
