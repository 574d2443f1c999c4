import type { LucidModel } from '@adonisjs/lucid/types/model'

/**
 * The select list that reads every column of `Model` from `table` under
 * `alias__<column>`, so one joined query can carry several models.
 */
export function columnsOf(Model: LucidModel, table: string, alias: string) {
  return [...Model.$columnsDefinitions.values()].map(
    ({ columnName }) => `${table}.${columnName} as ${alias}__${columnName}`
  )
}

/**
 * The `Model` instance of one side of a joined row read with `columnsOf`
 * (null when a left join found nothing), hydrated as a fetched row would
 * be: same column consumers (dates, JSON), persisted.
 */
export function modelFrom<Model extends LucidModel>(
  Model: Model,
  row: Record<string, unknown>,
  alias: string
): InstanceType<Model> | null {
  const prefix = `${alias}__`
  const values: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith(prefix)) values[key.slice(prefix.length)] = value
  }
  if (values[Model.primaryKey] === null || values[Model.primaryKey] === undefined) return null
  return Model.$createFromAdapterResult(values) as InstanceType<Model> | null
}
