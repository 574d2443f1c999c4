/**
 * Group commit: the first item is written at once; items arriving while
 * that write runs are written together by the next one (at most `maxBatch`
 * per write). Each caller's promise settles when the write holding its item
 * does, so a caller that awaits it knows its item is stored, yet a busy
 * process pays one statement per batch instead of one per item.
 */
export class GroupCommit<Item> {
  #pending: { item: Item; resolve: () => void; reject: (error: unknown) => void }[] = []
  #draining = false

  constructor(
    readonly writeBatch: (items: Item[]) => Promise<unknown>,
    readonly maxBatch: number
  ) {}

  write(item: Item): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject })
      if (!this.#draining) void this.#drain()
    })
  }

  async #drain() {
    this.#draining = true
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.maxBatch)
        try {
          await this.writeBatch(batch.map(({ item }) => item))
          batch.forEach(({ resolve }) => resolve())
        } catch (error) {
          batch.forEach(({ reject }) => reject(error))
        }
      }
    } finally {
      this.#draining = false
    }
  }
}
