import vine from '@vinejs/vine'
import { MAX_PER_PAGE } from '#validators/pagination'

/**
 * A GET filter form sends its untouched fields as empty strings: they mean
 * "no filter", not an invalid value.
 */
export function withoutBlanks(value: unknown) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== ''))
}

/**
 * Filters of the audit log, shared by the API, the console pages and the
 * CSV export. `action` matches exactly, or by prefix when it ends with `*`
 * or `.` (`member.*`, `member.`). `to` is inclusive: a date without a time
 * covers that whole day.
 */
const auditLogFilters = {
  action: vine
    .string()
    .trim()
    .maxLength(100)
    .regex(/^[a-z0-9_.]+\*?$/)
    .optional(),
  user_id: vine.number().withoutDecimals().positive().optional(),
  status: vine.enum(['success', 'error']).optional(),
  from: vine.date({ formats: { utc: true } }).optional(),
  page: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
  per_page: vine.number().withoutDecimals().min(1).optional(),
  // Keyset pages: `cursor` reads the entries older than a page (its
  // next_cursor), `before` the ones newer (its prev_cursor); `limit` sizes
  // API pages (the console takes `per_page`).
  cursor: vine.string().maxLength(200).optional(),
  before: vine.string().maxLength(200).optional(),
  limit: vine.number().withoutDecimals().min(1).max(100).optional(),
}

/**
 * `to` is compared with `from` only when there is one: vine's
 * `afterOrSameAs` compares a missing field with the current time.
 */
const dateRange = vine.group([
  vine.group.if((data) => data.from !== undefined && data.from !== null, {
    to: vine
      .date({ formats: { utc: true } })
      .afterOrSameAs('from')
      .optional(),
  }),
  vine.group.else({ to: vine.date({ formats: { utc: true } }).optional() }),
])

export const listAuditLogsValidator = vine.compile(
  vine.object(auditLogFilters).merge(dateRange).parse(withoutBlanks)
)

/**
 * The platform-wide log: the same filters plus the organization.
 */
export const listPlatformAuditLogsValidator = vine.compile(
  vine
    .object({
      ...auditLogFilters,
      organization_id: vine.number().withoutDecimals().positive().optional(),
    })
    .merge(dateRange)
    .parse(withoutBlanks)
)

export const AUDIT_MAX_PER_PAGE = MAX_PER_PAGE
