import type { LucidModel } from '@adonisjs/lucid/types/model'

/** Columns are defined once, when a model boots. */
const COLUMN_NAMES = new WeakMap<LucidModel, string[]>()

/**
 * Every column of `Model`, as the database names it.
 */
export function columnNamesOf(Model: LucidModel): readonly string[] {
  let names = COLUMN_NAMES.get(Model)
  if (!names) {
    names = [...Model.$columnsDefinitions.values()].map(({ columnName }) => columnName)
    COLUMN_NAMES.set(Model, names)
  }
  return names
}

/**
 * Every column of `Model`, qualified by `table`: the explicit select (or
 * `returning`) list a prepared statement needs instead of `*`.
 */
export function qualifiedColumnsOf(Model: LucidModel, table: string) {
  return columnNamesOf(Model).map((column) => `${table}.${column}`)
}

/**
 * The select list that reads every column of `Model` from `table` under
 * `alias__<column>`, so one joined query can carry several models.
 */
export function columnsOf(Model: LucidModel, table: string, alias: string) {
  return columnNamesOf(Model).map((column) => `${table}.${column} as ${alias}__${column}`)
}

/** `[alias__column, column]` pairs per model and alias, built once: auth reads them on every request. */
const ALIASED = new WeakMap<LucidModel, Map<string, [string, string][]>>()

function aliasedColumns(Model: LucidModel, alias: string) {
  let byAlias = ALIASED.get(Model)
  if (!byAlias) ALIASED.set(Model, (byAlias = new Map()))
  let pairs = byAlias.get(alias)
  if (!pairs) {
    pairs = columnNamesOf(Model).map((column) => [`${alias}__${column}`, column])
    byAlias.set(alias, pairs)
  }
  return pairs
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
  const values: Record<string, unknown> = {}
  for (const [key, column] of aliasedColumns(Model, alias)) {
    if (key in row) values[column] = row[key]
  }
  if (values[Model.primaryKey] === null || values[Model.primaryKey] === undefined) return null
  return Model.$createFromAdapterResult(values) as InstanceType<Model> | null
}
