import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import QueueMonitorService from '#services/queue_monitor_service'
import { ParleyCommand } from './_parley_command.js'

const megabytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

/**
 * Job counts per queue and the workers alive, as the queue monitor shows
 * them. "Waiting" counts every job not yet taken: BullMQ's waiting,
 * prioritized and those held by a pause.
 */
export default class QueueStatus extends ParleyCommand {
  static commandName = 'queue:status'
  static description = 'Show job counts per queue and the workers alive'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print the queues and workers as JSON' })
  declare json: boolean | undefined

  protected async handle() {
    const [queues, workers] = await Promise.all([
      QueueMonitorService.overview(),
      QueueMonitorService.workers(),
    ])
    if (this.json) {
      this.logger.log(JSON.stringify({ queues, workers }, null, 2))
      return
    }

    const table = this.ui.table()
    table.head(['Queue', 'Waiting', 'Active', 'Delayed', 'Failed', 'Completed', 'Paused'])
    for (const { name, counts, paused } of queues) {
      table.row([
        name,
        String(counts.waiting + counts.prioritized + counts.paused),
        String(counts.active),
        String(counts.delayed),
        String(counts.failed),
        String(counts.completed),
        paused ? 'yes' : 'no',
      ])
    }
    table.render()

    const alive = workers.filter((worker) => worker.alive)
    if (alive.length === 0) {
      this.logger.warning('No worker is alive: start one with `node ace queue:listen`.')
      return
    }
    const workerTable = this.ui.table()
    workerTable.head(['Worker', 'Host (pid)', 'Queues', 'Running', 'Memory', 'Last heartbeat'])
    for (const worker of alive) {
      workerTable.row([
        worker.id,
        `${worker.hostname} (${worker.pid})`,
        worker.queues.join(', '),
        String(worker.active.length),
        megabytes(worker.rss_bytes),
        worker.last_heartbeat_at,
      ])
    }
    workerTable.render()
  }
}
