import TenantPolicy from '#policies/tenant_policy'

/**
 * Members and invitations of the organization.
 */
export default class MemberPolicy extends TenantPolicy {
  viewAny() {
    return this.permits('members.view')
  }

  manage() {
    return this.permits('members.manage')
  }
}
