import { DateTime } from 'luxon'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { ModelQueryBuilder } from '@adonisjs/lucid/orm'
import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'

const TRASHED = Symbol('trashed')
const APPLIED = Symbol('trashedFilterApplied')

type TrashAware = ModelQueryBuilderContract<LucidModel, any> & {
  [TRASHED]?: 'with' | 'only'
  [APPLIED]?: true
}

/**
 * Hides soft-deleted rows from every fetch, unless the query asks for them
 * with `withTrashed()` / `onlyTrashed()`.
 */
function excludeTrashed(model: LucidModel, query: TrashAware) {
  // The hook is inherited by subclasses, so it can run twice on one query.
  if (query[TRASHED] === 'with' || query[APPLIED]) return
  const deletedAt = `${model.table}.deleted_at`
  if (query[TRASHED] === 'only') query.whereNotNull(deletedAt)
  else query.whereNull(deletedAt)
  query[APPLIED] = true
}

/**
 * Soft deletes for models a user deletes (organizations, users, later
 * chatbots): `delete()` stamps `deleted_at`, `restore()` clears it,
 * `forceDelete()` removes the row. The one soft-delete mechanism.
 */
export function SoftDeletes<T extends NormalizeConstructor<typeof BaseModel>>(superclass: T) {
  class SoftDeletesModel extends superclass {
    @column.dateTime()
    declare deletedAt: DateTime | null

    static boot() {
      // Same guard as Lucid's: `booted` is inherited, so check it is our own.
      if (Object.hasOwn(this, 'booted') && this.booted) return
      super.boot()
      this.before('find', (query) => excludeTrashed(query.model, query as TrashAware))
      this.before('fetch', (query) => excludeTrashed(query.model, query as TrashAware))
      this.before('paginate', ([countQuery, query]) => {
        excludeTrashed(query.model, countQuery as unknown as TrashAware)
        excludeTrashed(query.model, query as TrashAware)
      })
    }

    get isTrashed() {
      return this.deletedAt !== null && this.deletedAt !== undefined
    }

    async delete() {
      this.deletedAt = DateTime.utc()
      await this.save()
    }

    async restore() {
      this.deletedAt = null
      await this.save()
    }

    async forceDelete() {
      await super.delete()
    }
  }
  return SoftDeletesModel
}

ModelQueryBuilder.macro('withTrashed', function (this: ModelQueryBuilder) {
  ;(this as unknown as TrashAware)[TRASHED] = 'with'
  return this
})

ModelQueryBuilder.macro('onlyTrashed', function (this: ModelQueryBuilder) {
  ;(this as unknown as TrashAware)[TRASHED] = 'only'
  return this
})

declare module '@adonisjs/lucid/orm' {
  interface ModelQueryBuilder {
    withTrashed(): this
    onlyTrashed(): this
  }
}

declare module '@adonisjs/lucid/types/model' {
  interface ModelQueryBuilderContract<Model extends LucidModel, Result = InstanceType<Model>> {
    withTrashed(): this
    onlyTrashed(): this
  }
}
