import db from '@adonisjs/lucid/services/db'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'

/**
 * Deletes the rows of `table` that `filter` selects, `batch` at a time, so
 * a large backlog never holds one long lock. Returns how many went.
 */
export async function deleteInBatches(
  table: string,
  filter: (query: DatabaseQueryBuilderContract) => DatabaseQueryBuilderContract,
  batch = 5000
) {
  let deleted = 0
  for (;;) {
    const removed = Number(
      await db
        .from(table)
        .whereIn('id', filter(db.from(table).select('id')).limit(batch))
        .delete()
    )
    deleted += removed
    if (removed < batch) return deleted
  }
}
