import TenantPolicy from '#policies/tenant_policy'

export default class OrganizationPolicy extends TenantPolicy {
  /** Every member sees their organization. */
  view() {
    return true
  }

  update() {
    return this.permits('organization.manage')
  }

  /** Owners only: deleting takes every member's access away. */
  delete() {
    return this.permits('organization.delete')
  }
}
