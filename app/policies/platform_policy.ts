import { AuthorizationResponse, BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/**
 * Platform administration: active super-admins only (a disabled account
 * keeps no platform rights through a session it still holds). The flag is
 * used here and nowhere in tenant policies.
 */
export default class PlatformPolicy extends BasePolicy {
  manage(user: User) {
    return user.isSuperAdmin && user.status === 'active'
      ? true
      : AuthorizationResponse.deny('Platform administration needs a super-admin account.', 403)
  }
}
