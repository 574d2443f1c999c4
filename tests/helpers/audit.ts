import db from '@adonisjs/lucid/services/db'
import AuditLog from '#models/audit_log'
import { decodeHtml } from '#tests/helpers/html'
import { TenantContext } from '#support/tenant_context'

/**
 * Audit entries across every organization (audit_logs is tenant-scoped;
 * tests read it as platform code does).
 */
export function auditQuery() {
  return TenantContext.asPlatform(() => AuditLog.query())
}

export async function findAudit(column: string, value: unknown) {
  return TenantContext.asPlatform(() =>
    AuditLog.query()
      .where(column, value as any)
      .first()
  )
}

export async function findAuditOrFail(column: string, value: unknown) {
  const entry = await findAudit(column, value)
  if (!entry) throw new Error(`No audit entry with ${column} = ${String(value)}`)
  return entry
}

/**
 * Inserts audit rows as they are stored (snake_case columns, `created_at`
 * as `sqlTime` writes it), in one statement per 400 rows: SQLite takes at
 * most 500 rows per multi-row insert.
 */
export async function insertAuditRows(rows: Record<string, unknown>[]) {
  for (let start = 0; start < rows.length; start += 400) {
    await db.table('audit_logs').multiInsert(rows.slice(start, start + 400))
  }
}

/**
 * The Newer and Older links of an audit-log list page (hrefs decoded),
 * null where the page has none.
 */
export function pagerLinks(html: string) {
  const text = decodeHtml(html)
  const link = (rel: string, label: string) =>
    text.match(
      new RegExp(`<a\\s[^>]*href="([^"]+)"[^>]*rel="${rel}"[^>]*>\\s*${label}\\s*</a>`)
    )?.[1] ?? null
  return { newer: link('prev', 'Newer'), older: link('next', 'Older') }
}

/** The count of matching entries an audit-log list page shows ("7 entries"). */
export function matchingCount(html: string) {
  return html
    .match(/id="audit-count">([^<]*)</)?.[1]
    .replace(/\s+/g, ' ')
    .trim()
}
