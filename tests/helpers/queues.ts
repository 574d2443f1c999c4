import queueManager from '@rlanz/bull-queue/services/main'
import type { QueueName } from '#config/queue'

/**
 * Empties a queue of everything (jobs of every state, even ones a killed
 * worker left active; schedulers; metrics) and leaves it running, so a test
 * sees only its own jobs.
 */
export async function emptyQueue(name: QueueName) {
  const queue = queueManager.getOrSet(name)
  await queue.obliterate({ force: true })
  await queue.resume()
}
