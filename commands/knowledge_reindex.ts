import { flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Chatbot from '#models/chatbot'
import KnowledgeService from '#services/knowledge_service'
import { TenantContext } from '#support/tenant_context'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

/**
 * Indexes knowledge again: the sources of one chatbot, or of every chatbot
 * of every organization (after a change of chunking settings, or to repair
 * an index). Jobs go to the `low` queue; `--sync` indexes in this process
 * instead, with no worker needed.
 */
export default class KnowledgeReindex extends ParleyCommand {
  static commandName = 'knowledge:reindex'
  static description = 'Index the knowledge of one chatbot (--chatbot) or of all chatbots again'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Id of the chatbot (default: every chatbot of every organization)' })
  declare chatbot: string | undefined

  @flags.boolean({ description: 'Index here and now instead of queueing jobs for a worker' })
  declare sync: boolean | undefined

  protected async handle() {
    const chatbots = await this.chatbots()
    let sources = 0
    let failed = 0
    for (const chatbot of chatbots) {
      const counts = await TenantContext.run(chatbot.organizationId, () => this.reindex(chatbot))
      sources += counts.sources
      failed += counts.failed
    }

    const scope = this.chatbot ? `chatbot ${this.chatbot}` : `${chatbots.length} chatbot(s)`
    if (!this.sync) {
      this.logger.success(`${sources} knowledge source(s) of ${scope} queued for indexing`)
      return
    }
    this.logger.success(`${sources - failed} knowledge source(s) of ${scope} indexed`)
    if (failed > 0) {
      this.logger.error(`${failed} source(s) failed: their error is shown in the knowledge list`)
      this.exitCode = 1
    }
  }

  /**
   * The chatbot asked for, or all of them: found across organizations.
   */
  protected async chatbots() {
    if (this.chatbot === undefined) {
      return TenantContext.asPlatform(() => Chatbot.query().orderBy('id'))
    }
    const id = Number(this.chatbot)
    const chatbot = Number.isSafeInteger(id)
      ? await TenantContext.asPlatform(() => Chatbot.query().where('id', id).first())
      : null
    if (!chatbot) throw new CommandInputError(`No chatbot with id ${this.chatbot}.`)
    return [chatbot]
  }

  /**
   * Queues (or, with --sync, runs) the indexing of a chatbot's sources, in
   * its organization, and records it in the audit trail.
   */
  protected async reindex(chatbot: Chatbot) {
    const sources = this.sync
      ? await KnowledgeService.list(chatbot.id)
      : await KnowledgeService.reindexAll(chatbot.id)
    let failed = 0
    if (this.sync) {
      for (const source of sources) {
        await KnowledgeService.index(source.id).catch((error: Error) => {
          failed++
          this.logger.warning(`Source ${source.id} ("${source.title}") failed: ${error.message}`)
        })
      }
    }
    if (sources.length > 0) {
      await this.audit({
        action: 'knowledge.reindexed',
        organizationId: chatbot.organizationId,
        subject: { type: 'chatbot', id: chatbot.id },
        changes: {
          chatbot_id: Number(chatbot.id),
          sources: sources.length,
          sync: Boolean(this.sync),
        },
      })
    }
    return { sources: sources.length, failed }
  }
}
