import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { BaseModel } from '@adonisjs/lucid/orm'
import { AuthCache } from '#support/auth_cache'

/**
 * For the models a request's identity is made of (tokens, users,
 * organizations, memberships, roles and their permissions): every saved or
 * deleted row empties the auth cache of every process (see AuthCache), so a
 * revoked token, a disabled account or a changed role takes effect on the
 * next request. Bulk changes through the query builder call
 * `AuthCache.invalidate(trx)` themselves.
 */
export function GuardsAccess<T extends NormalizeConstructor<typeof BaseModel>>(superclass: T) {
  class GuardsAccessModel extends superclass {
    static boot() {
      if (Object.hasOwn(this, 'booted') && this.booted) return
      super.boot()
      this.after('save', (row) => AuthCache.invalidate(row.$trx))
      this.after('delete', (row) => AuthCache.invalidate(row.$trx))
    }
  }
  return GuardsAccessModel
}
