import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import { BaseModel, beforeCreate, beforeDelete, beforeSave, column } from '@adonisjs/lucid/orm'
import type {
  LucidModel,
  ModelAdapterOptions,
  ModelQueryBuilderContract,
} from '@adonisjs/lucid/types/model'
import { MissingTenantError, TenantContext } from '#support/tenant_context'

const SCOPED = Symbol('tenantScoped')

type Scopable = ModelQueryBuilderContract<LucidModel, any> & { [SCOPED]?: true }

/**
 * Filters a query by the current organization. Applied when the query is
 * built (so bulk `update()`/`delete()`, `pojo()` and aggregates are scoped
 * too) and again by fetch hooks (so relation queries are). Outside any
 * tenant it throws; in platform code (`TenantContext.asPlatform`) it leaves
 * the query alone.
 */
function scopeToTenant(model: LucidModel & { sharedRows?: boolean }, query: Scopable) {
  if (query[SCOPED]) return query
  // Decided when the query is built: a platform query stays unscoped even
  // if it only runs after the platform block returned it.
  if (TenantContext.isPlatform()) {
    query[SCOPED] = true
    return query
  }
  const organizationId = TenantContext.currentId()
  if (organizationId === null) throw new MissingTenantError(model.name)

  const tenantColumn = `${model.table}.organization_id`
  if (model.sharedRows) {
    query.where((scoped) => scoped.where(tenantColumn, organizationId).orWhereNull(tenantColumn))
  } else {
    query.where(tenantColumn, organizationId)
  }
  query[SCOPED] = true
  return query
}

/**
 * Makes a model tenant-owned: every query is limited to the current
 * organization and new rows get its `organization_id`. This is the only
 * tenancy mechanism; controllers never filter by organization by hand.
 */
export function TenantScoped<T extends NormalizeConstructor<typeof BaseModel>>(superclass: T) {
  class TenantScopedModel extends superclass {
    @column()
    declare organizationId: number

    /**
     * When true, rows without an organization (built-in roles) are visible,
     * read-only, to every tenant.
     */
    static sharedRows = false

    static query<Model extends LucidModel, Result = InstanceType<Model>>(
      this: Model,
      options?: ModelAdapterOptions
    ): ModelQueryBuilderContract<Model, Result> {
      const query = superclass.query.call(this, options) as unknown as Scopable
      return scopeToTenant(this, query) as unknown as ModelQueryBuilderContract<Model, Result>
    }

    static boot() {
      // Same guard as Lucid's: `booted` is inherited, so check it is our own.
      if (Object.hasOwn(this, 'booted') && this.booted) return
      super.boot()
      // Hooks are inherited by subclasses: scope with the query's own model.
      // Handlers must not return the (thenable) query builder.
      this.before('find', (query) => {
        scopeToTenant(query.model, query as Scopable)
      })
      this.before('fetch', (query) => {
        scopeToTenant(query.model, query as Scopable)
      })
      this.before('paginate', ([countQuery, query]) => {
        scopeToTenant(query.model, countQuery as unknown as Scopable)
        scopeToTenant(query.model, query as Scopable)
      })
    }

    @beforeCreate()
    static stampOrganization(model: TenantScopedModel) {
      // Platform code sets the organization itself (or none, for platform events).
      if (TenantContext.isPlatform()) return
      const organizationId = TenantContext.currentId()
      if (organizationId === null) throw new MissingTenantError(model.constructor.name)
      model.organizationId = organizationId
    }

    /**
     * A row loaded in one tenant can never be written from another.
     */
    @beforeSave()
    @beforeDelete()
    static guardOwnership(model: TenantScopedModel) {
      if (!model.$isPersisted || TenantContext.isPlatform()) return
      const organizationId = TenantContext.currentId()
      if (organizationId === null) throw new MissingTenantError(model.constructor.name)
      if (
        model.$original.organizationId !== organizationId ||
        model.organizationId !== organizationId
      ) {
        throw new MissingTenantError(`${model.constructor.name} of another organization`)
      }
    }
  }
  return TenantScopedModel
}
