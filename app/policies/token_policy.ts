import type User from '#models/user'
import type AccessToken from '#models/access_token'
import TenantPolicy from '#policies/tenant_policy'

/**
 * Every member manages their own tokens; `tokens.manage` extends listing
 * and revoking to everyone's tokens in the organization.
 */
export default class TokenPolicy extends TenantPolicy {
  viewAny() {
    return true
  }

  /** Lists the tokens of every member, not only one's own. */
  viewAll() {
    return this.permits('tokens.manage')
  }

  /** Abilities beyond the creator's own are refused by TokenService. */
  create() {
    return true
  }

  revoke(user: User, token: AccessToken) {
    // bigint columns come back as strings from PostgreSQL, numbers from SQLite
    return Number(token.userId) === Number(user.id) ? true : this.permits('tokens.manage')
  }
}
