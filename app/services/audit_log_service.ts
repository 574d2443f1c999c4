import { AsyncLocalStorage } from 'node:async_hooks'
import { Readable } from 'node:stream'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import ApiException from '#exceptions/api_exception'
import AuditLog from '#models/audit_log'
import Membership from '#models/membership'
import Organization from '#models/organization'
import User from '#models/user'
import { csvLine } from '#support/csv'
import { redact } from '#support/redact'
import { sqlTime } from '#support/sql_time'
import { TenantContext } from '#support/tenant_context'
import { encodeCursor, readKeysetPage } from '#support/keyset'

export type AuditLogFilters = {
  action?: string
  user_id?: number
  status?: 'success' | 'error'
  from?: Date
  to?: Date
  /** Platform only: the tenant scope already limits an organization's own log. */
  organization_id?: number
}

/** The most rows one CSV export holds; the console says so beside the button. */
export const AUDIT_EXPORT_LIMIT = 50_000

const EXPORT_CHUNK = 1000

const DEFAULT_KEYSET_LIMIT = 20

/** Keyset positions in the log (`cursor` older, `before` newer) and the page size. */
export type AuditLogPosition = { cursor?: string; before?: string; limit?: number }

/** Options of the filter selects: bounded, a select is no place for thousands. */
const MAX_OPTIONS = 500

/** The newest entries whose actions the platform log suggests. */
const RECENT_FOR_OPTIONS = 10_000

/** The rows of a raw query, whichever the dialect's result shape. */
const rowsOf = <Row>(result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[]

const CSV_COLUMNS = [
  'time',
  'action',
  'status',
  'http_status',
  'actor_user_id',
  'actor_email',
  'actor_token_id',
  'subject_type',
  'subject_id',
  'message',
  'error_code',
  'ip',
  'user_agent',
  'request_id',
  'method',
  'path',
  'duration_ms',
  'changes',
]

/**
 * Reading the audit trail (writing is AuditService's job).
 */
export default class AuditLogService {
  /**
   * Entries of the current organization (tenant scope; every organization
   * in platform code), newest first. The (organization_id, created_at) and
   * (organization_id, action) indexes serve these filters.
   */
  static query(filters: AuditLogFilters) {
    const query = AuditLog.query().orderBy('created_at', 'desc').orderBy('id', 'desc')
    const prefix = filters.action?.endsWith('*')
      ? filters.action.slice(0, -1)
      : filters.action?.endsWith('.')
        ? filters.action
        : null
    // `_` is a LIKE wildcard and appears in action names: match it literally.
    if (prefix !== null) {
      query.whereRaw(`audit_logs.action like ? escape '\\'`, [
        `${prefix.replace(/[\\%_]/g, '\\$&')}%`,
      ])
    } else if (filters.action) query.where('action', filters.action)
    if (filters.user_id) query.where('actor_user_id', filters.user_id)
    if (filters.status) query.where('status', filters.status)
    if (filters.organization_id) query.where('audit_logs.organization_id', filters.organization_id)
    if (filters.from) query.where('created_at', '>=', this.#format(filters.from))
    if (filters.to) {
      const to = DateTime.fromJSDate(filters.to).toUTC()
      // A date without a time (midnight) means the whole of that day.
      if (to.equals(to.startOf('day'))) {
        query.where('created_at', '<', this.#format(to.plus({ days: 1 }).toJSDate()))
      } else query.where('created_at', '<=', this.#format(filters.to))
    }
    return query
  }

  /**
   * Matching entries are counted up to this many, never further: a count
   * of a large log would cost more than the page itself. Numbered pages
   * end there too (their offset would skip as many rows).
   */
  static countCap = 10_000

  /**
   * Keyset pages of `query(filters)`: `limit` entries after `cursor` (older)
   * or just before `before` (newer), with the cursors of the pages on
   * either side (null where there is none). As fast deep in a large log as
   * on its first page, where numbered pages count every matching entry and
   * skip the ones before.
   */
  static async keysetPage(filters: AuditLogFilters & AuditLogPosition) {
    const limit = Math.min(filters.limit ?? DEFAULT_KEYSET_LIMIT, 100)
    const page = await readKeysetPage(this.query(filters), {
      column: 'audit_logs.created_at',
      idColumn: 'audit_logs.id',
      limit,
      after: filters.cursor,
      before: filters.before,
      cursorOf: (entry) => encodeCursor(entry.createdAt, entry.id),
    })
    return {
      rows: page.rows,
      meta: { limit, next_cursor: page.older, prev_cursor: page.newer },
    }
  }

  /**
   * A console page: a keyset page and how many entries match, counted up
   * to `countCap`. A short first page is every match: no count to run.
   */
  static async browse(filters: AuditLogFilters & AuditLogPosition, limit: number) {
    const { rows, meta } = await this.keysetPage({ ...filters, limit })
    const whole = !filters.cursor && !filters.before && rows.length < meta.limit
    return {
      rows,
      olderCursor: meta.next_cursor,
      newerCursor: meta.prev_cursor,
      matching: whole ? this.#capped(rows.length) : await this.countUpTo(filters),
    }
  }

  /**
   * Numbered pages (the API without `cursor`): the page and its `meta`,
   * the total counted up to `countCap` (`total_capped` when there are
   * more). A page starting past the cap is refused with 422 `PAGE_TOO_DEEP`:
   * keyset pages read on from there.
   */
  static async numberedPage(filters: AuditLogFilters, page: number, perPage: number) {
    const offset = (page - 1) * perPage
    if (offset >= this.countCap) {
      throw new ApiException(
        `Numbered pages reach the first ${this.countCap.toLocaleString('en')} entries only: ` +
          'read further with keyset pages (`limit`, then `cursor` = the `meta.next_cursor` of each page).',
        'PAGE_TOO_DEEP',
        422
      )
    }
    const rows = await this.#pageAt(filters, offset, perPage)
    // A short page is the last one: the total is known without counting.
    const last = rows.length < perPage && (rows.length > 0 || page === 1)
    const { total, capped } = last
      ? this.#capped(offset + rows.length)
      : await this.countUpTo(filters)
    return {
      rows,
      meta: {
        page,
        per_page: perPage,
        total,
        last_page: Math.max(1, Math.ceil(total / perPage)),
        total_capped: capped,
      },
    }
  }

  /**
   * `limit` entries of `query(filters)` after skipping `offset`. Deeper
   * than the first page the offset skips ids only (the list-order indexes
   * hold them: an index-only scan), then reads the page's own rows: an
   * offset over whole rows read and sorted every skipped entry
   * (page 450 of 100k entries: 45 ms → 3 ms).
   */
  static async #pageAt(filters: AuditLogFilters, offset: number, limit: number) {
    if (offset === 0) return this.query(filters).limit(limit)
    const ids = this.query(filters).select('audit_logs.id').offset(offset).limit(limit)
    return AuditLog.query()
      .whereIn('audit_logs.id', ids)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
  }

  /**
   * How many entries match, up to `countCap`: counts a subquery limited to
   * one past the cap, so the database stops reading there.
   */
  static async countUpTo(filters: AuditLogFilters) {
    const matching = this.query(filters)
      .clearOrder()
      .select('audit_logs.id')
      .limit(this.countCap + 1)
    const [row] = await db
      .connection(AuditLog.connection)
      .from(matching.as('matching'))
      .count('* as total')
    return this.#capped(Number(row.total))
  }

  static #capped(total: number) {
    return { total: Math.min(total, this.countCap), capped: total > this.countCap }
  }

  /**
   * The users who acted in `entries`, by id (deleted accounts included).
   */
  static async actors(entries: AuditLog[]) {
    const ids = [...new Set(entries.map((entry) => entry.actorUserId))].filter(
      (id): id is number => id !== null
    )
    const users = ids.length ? await User.query().withTrashed().whereIn('id', ids) : []
    return new Map(users.map((user) => [user.id, user]))
  }

  /**
   * The organizations of `entries`, by id (deleted ones included).
   */
  static async organizations(entries: AuditLog[]) {
    const ids = [...new Set(entries.map((entry) => entry.organizationId))].filter(
      (id): id is number => id !== null && id !== undefined
    )
    const organizations = ids.length
      ? await Organization.query().withTrashed().whereIn('id', ids)
      : []
    return new Map(organizations.map((organization) => [organization.id, organization]))
  }

  /**
   * One entry with its actor and organization; another tenant's id is not
   * found (404).
   */
  static async find(id: number) {
    const entry = await AuditLog.findOrFail(id)
    const actors = await this.actors([entry])
    const organizations = await this.organizations([entry])
    return {
      entry,
      actor: entry.actorUserId ? (actors.get(entry.actorUserId) ?? null) : null,
      organization: organizations.get(entry.organizationId) ?? null,
      // Stored redacted already; redacting again on display costs nothing.
      changes: entry.changes === null ? null : JSON.stringify(redact(entry.changes), null, 2),
    }
  }

  /**
   * What the filter form offers: the actions that occur in the log (and
   * their `area.*` prefixes) and the members who may have acted. The
   * members of `organizationId` in platform code, else of the current
   * tenant; none on the platform log until an organization is chosen.
   */
  static async filterOptions(scope: { organizationId?: number; platform?: boolean } = {}) {
    const organizationId =
      scope.organizationId ?? (scope.platform ? null : TenantContext.currentId())
    const actions =
      organizationId === null ? await this.#recentActions() : await this.#actionsOf(organizationId)
    const prefixes = [...new Set(actions.map((action) => action.split('.')[0]))]

    let users: User[] = []
    if (!scope.platform || scope.organizationId) {
      const members = Membership.query()
        .preload('user')
        .orderBy('memberships.id')
        .limit(MAX_OPTIONS)
      if (scope.organizationId) members.where('memberships.organization_id', scope.organizationId)
      const memberships = await members
      users = memberships.map((membership) => membership.user).filter(Boolean)
    }
    return {
      actions: [...prefixes.map((prefix) => `${prefix}.*`), ...actions],
      actors: users.map((user) => ({ value: user.id, label: `${user.name} <${user.email}>` })),
    }
  }

  /**
   * The distinct actions of one organization's log, in order: a skip scan
   * of the (organization_id, action, …) index, one probe per action, so it
   * costs the same on a log of 100 or 10 million entries (a `group by`
   * read them all).
   */
  static async #actionsOf(organizationId: number) {
    const result = await db.rawQuery(
      `with recursive actions (action) as (
         select min(action) from audit_logs where organization_id = ?
         union all
         select (select min(next.action) from audit_logs next
                  where next.organization_id = ? and next.action > actions.action)
           from actions where actions.action is not null
       )
       select action from actions where action is not null limit ?`,
      [organizationId, organizationId, MAX_OPTIONS]
    )
    return rowsOf<{ action: string }>(result).map((row) => row.action)
  }

  /**
   * The platform log across organizations suggests the actions of its
   * newest `RECENT_FOR_OPTIONS` entries (the filter takes any action).
   */
  static async #recentActions() {
    const rows = await db
      .from(
        db
          .from('audit_logs')
          .select('action')
          .orderBy('created_at', 'desc')
          .limit(RECENT_FOR_OPTIONS)
          .as('recent')
      )
      .distinct('action')
      .orderBy('action')
      .limit(MAX_OPTIONS)
    return rows.map((row: { action: string }) => row.action)
  }

  /**
   * The filtered entries as CSV (header row first), newest first, at most
   * `AUDIT_EXPORT_LIMIT` rows, read in keyset-paginated chunks so memory
   * stays flat. With `withOrganization` (the platform log) a column names
   * each entry's organization.
   */
  static csv(filters: AuditLogFilters, options: { withOrganization?: boolean } = {}) {
    // The stream is read after the action returned: chunks must still be
    // queried in the caller's tenant (or platform) context.
    const fetchChunk = AsyncLocalStorage.bind(async (after: AuditLog | null, size: number) => {
      const query = this.query(filters).limit(size)
      if (after) {
        const at = this.#format(after.createdAt.toJSDate())
        query.where((older) =>
          older
            .where('created_at', '<', at)
            .orWhere((same) => same.where('created_at', at).where('id', '<', after.id))
        )
      }
      const rows = await query
      const actors = await this.actors(rows)
      const organizations = options.withOrganization
        ? await this.organizations(rows)
        : new Map<number, Organization>()
      return { rows, actors, organizations }
    })

    const columns = options.withOrganization ? ['organization', ...CSV_COLUMNS] : CSV_COLUMNS
    async function* lines() {
      yield csvLine(columns)
      let written = 0
      let last: AuditLog | null = null
      while (written < AUDIT_EXPORT_LIMIT) {
        const size = Math.min(EXPORT_CHUNK, AUDIT_EXPORT_LIMIT - written)
        const { rows, actors, organizations } = await fetchChunk(last, size)
        let chunk = ''
        for (const entry of rows) {
          const actor = entry.actorUserId ? actors.get(entry.actorUserId) : undefined
          const values = [
            entry.createdAt.toUTC().toISO(),
            entry.action,
            entry.status,
            entry.httpStatus,
            entry.actorUserId,
            actor?.email,
            entry.actorTokenId,
            entry.subjectType,
            entry.subjectId,
            entry.message,
            entry.errorCode,
            entry.ip,
            entry.userAgent,
            entry.requestId,
            entry.method,
            entry.path,
            entry.durationMs,
            entry.changes === null ? null : JSON.stringify(entry.changes),
          ]
          const organization = organizations.get(entry.organizationId)
          chunk += csvLine(options.withOrganization ? [organization?.slug, ...values] : values)
        }
        if (chunk) yield chunk
        written += rows.length
        if (rows.length < size) break
        last = rows[rows.length - 1]
      }
    }
    return Readable.from(lines())
  }

  static #format(date: Date) {
    return sqlTime(date)
  }
}
