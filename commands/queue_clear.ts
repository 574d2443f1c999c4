import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { QUEUE_NAMES } from '#config/queue'
import QueueMonitorService, {
  CLEARABLE_STATES,
  type ClearableState,
} from '#services/queue_monitor_service'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

/**
 * Deletes every job of a queue in one state (a flood of bad jobs, old
 * failures). It cannot be undone, so it asks first; scripts pass --force.
 * Running jobs are never cleared: they belong to their worker.
 */
export default class QueueClear extends ParleyCommand {
  static commandName = 'queue:clear'
  static description = 'Delete every job of a queue in one state (asks for confirmation)'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: `Queue to clear (${QUEUE_NAMES.join(', ')})` })
  declare queue: string | undefined

  @flags.string({ description: `State of the jobs to delete (${CLEARABLE_STATES.join(', ')})` })
  declare state: string | undefined

  @flags.boolean({ description: 'Do not ask for confirmation (needed without a terminal)' })
  declare force: boolean | undefined

  protected async handle() {
    const queue = await this.orAsk('--queue', this.queue, () =>
      this.prompt.choice('Queue to clear', [...QUEUE_NAMES])
    )
    const name = QueueMonitorService.queue(queue.trim())
    const answer = await this.orAsk('--state', this.state, () =>
      this.prompt.choice('State of the jobs to delete', [...CLEARABLE_STATES])
    )
    const state = answer.trim()
    if (!(CLEARABLE_STATES as readonly string[]).includes(state)) {
      throw new CommandInputError(
        `Unknown state "${state}". States that can be cleared: ${CLEARABLE_STATES.join(', ')}.`
      )
    }

    if (!this.force) {
      if (!this.interactive) {
        throw new CommandInputError(
          `Refusing to delete the ${state} jobs of "${name}" without confirmation: pass --force (there is no terminal to ask). Nothing was changed.`
        )
      }
      const confirmed = await this.prompt.confirm(
        `Delete every ${state} job of the "${name}" queue? This cannot be undone.`,
        { name: 'confirm_clear' }
      )
      if (!confirmed) {
        this.logger.info('Cancelled: nothing was changed.')
        this.exitCode = 1
        return
      }
    }

    const { count, ...change } = await QueueMonitorService.clear(name, state as ClearableState)
    await this.audit(change)
    this.logger.success(`${count} ${state} job(s) deleted from the "${name}" queue`)
  }
}
