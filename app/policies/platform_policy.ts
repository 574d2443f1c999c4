import { AuthorizationResponse, BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/**
 * Platform administration: super-admins only. The flag is used here and
 * nowhere in tenant policies.
 */
export default class PlatformPolicy extends BasePolicy {
  manage(user: User) {
    return user.isSuperAdmin
      ? true
      : AuthorizationResponse.deny('Platform administration needs a super-admin account.', 403)
  }
}
