import { AsyncLocalStorage } from 'node:async_hooks'
import { Exception } from '@adonisjs/core/exceptions'

type TenantStore = { organizationId: number | null; platform: boolean }

const storage = new AsyncLocalStorage<TenantStore>()

/**
 * Raised when tenant-owned data is queried outside any tenant: a bug that
 * would otherwise read or write every organization's rows.
 */
export class MissingTenantError extends Exception {
  static status = 500
  static code = 'E_MISSING_TENANT'
  constructor(model: string) {
    super(
      `${model} is tenant-scoped but no organization is set: run inside TenantContext.run(), ` +
        'or opt out explicitly with TenantContext.asPlatform() for platform code'
    )
  }
}

/**
 * The organization the current code acts for. HTTP middleware, jobs and
 * ace commands enter it with `run`; tenant-scoped models read it to filter
 * queries and stamp `organization_id`. Platform code (cross-tenant pages,
 * login before an organization is chosen) leaves it visibly with
 * `asPlatform`.
 */
export const TenantContext = {
  run<T>(organizationId: number, callback: () => T): T {
    return storage.run({ organizationId, platform: false }, callback)
  },

  asPlatform<T>(callback: () => T): T {
    return storage.run({ organizationId: null, platform: true }, callback)
  },

  currentId(): number | null {
    return storage.getStore()?.organizationId ?? null
  },

  isPlatform(): boolean {
    return storage.getStore()?.platform ?? false
  },
}
