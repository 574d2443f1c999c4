import { ModelPaginator, ModelQueryBuilder } from '@adonisjs/lucid/orm'
import type { LucidModel, ModelPaginatorContract } from '@adonisjs/lucid/types/model'
import type { SimplePaginatorContract } from '@adonisjs/lucid/types/querybuilder'

const TOTAL = 'parley_page_total'

type QueryInternals = {
  knexQuery: { _method?: string; _statements: { grouping: string }[] }
  wrapResultsToModelInstances: boolean
  hasGroupBy: boolean
  model: LucidModel
  execQuery(): Promise<InstanceType<LucidModel>[]>
}

/**
 * `paginate` in one statement: the page and its total together
 * (`count(*) over ()`), where Lucid's own `paginate` runs a count query
 * before the page query on every list. The count runs separately only for
 * a page past the end (no row to carry the total). Model hooks run as for
 * `paginate` (`before:paginate` with the count query and the page query,
 * `before:fetch`, then `after:paginate` and `after:fetch`), so tenant
 * scoping and soft deletes apply to both.
 */
ModelQueryBuilder.macro(
  'paginateInOne',
  async function (this: ModelQueryBuilder, page: number, perPage: number = 20) {
    const internals = this as unknown as QueryInternals
    const model = internals.model
    const isFetchCall =
      internals.wrapResultsToModelInstances && internals.knexQuery._method === 'select'
    page = Number(page)
    perPage = Number(perPage)

    const countQuery = this.clone()
      .clearOrder()
      .clearLimit()
      .clearOffset()
      .clearSelect()
      .count('* as total')
      .pojo<{ total: number | string }>()
    if (isFetchCall) {
      await model.$hooks.runner('before:paginate').run([countQuery, this])
      await model.$hooks.runner('before:fetch').run(this)
    }

    const selectsColumns = internals.knexQuery._statements.some(
      (statement) => statement.grouping === 'columns'
    )
    if (!selectsColumns) this.select(`${model.table}.*`)
    this.select(this.client.raw(`count(*) over () as ${TOTAL}`))
    this.forPage(page, perPage)
    const results = await internals.execQuery()

    let total: number
    if (results.length > 0) {
      total = Number(results[0].$extras[TOTAL])
      for (const result of results) delete result.$extras[TOTAL]
    } else if (page <= 1) {
      total = 0
    } else {
      const counted = await countQuery.exec()
      total = internals.hasGroupBy ? counted.length : Number(counted[0]?.total ?? 0)
    }

    const paginator = new ModelPaginator(total, perPage, page, ...results)
    paginator.namingStrategy = model.namingStrategy
    if (isFetchCall) {
      await model.$hooks.runner('after:paginate').run(paginator)
      await model.$hooks.runner('after:fetch').run(results)
    }
    return paginator
  }
)

declare module '@adonisjs/lucid/orm' {
  interface ModelQueryBuilder {
    paginateInOne(page: number, perPage?: number): Promise<ModelPaginatorContract<any>>
  }
}

declare module '@adonisjs/lucid/types/model' {
  interface ModelQueryBuilderContract<Model extends LucidModel, Result = InstanceType<Model>> {
    paginateInOne(
      page: number,
      perPage?: number
    ): Promise<
      Result extends LucidRow ? ModelPaginatorContract<Result> : SimplePaginatorContract<Result>
    >
  }
}
