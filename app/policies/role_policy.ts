import TenantPolicy from '#policies/tenant_policy'

export default class RolePolicy extends TenantPolicy {
  /** Every member may read the permission catalogue. */
  viewCatalogue() {
    return true
  }

  viewAny() {
    return this.permits('members.view')
  }

  create() {
    return this.permits('roles.manage')
  }

  update() {
    return this.permits('roles.manage')
  }

  delete() {
    return this.permits('roles.manage')
  }
}
