import TenantPolicy from '#policies/tenant_policy'

export default class AuditLogPolicy extends TenantPolicy {
  viewAny() {
    return this.permits('audit.view')
  }
}
