import AuditLog from '#models/audit_log'
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
