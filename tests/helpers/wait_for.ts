import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls `probe` until it returns a truthy value or `timeoutMs` passes;
 * for work that completes in another process or on a queue.
 */
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`)
    await sleep(intervalMs)
  }
}
