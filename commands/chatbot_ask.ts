import vine from '@vinejs/vine'
import { args } from '@adonisjs/core/ace'
import app from '@adonisjs/core/services/app'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Chatbot from '#models/chatbot'
import { providerFor, ProviderError, type ChatReply } from '#providers/chat/index'
import { TenantContext } from '#support/tenant_context'
import { ChatbotStatus, ConversationChannel, ConversationStatus } from '#enums/chatbots'
import { CommandInputError, ParleyCommand } from './_parley_command.js'

/** Characters of a chunk shown in the table. */
const PREVIEW_LENGTH = 80
/** An external provider that answers in neither time is reported, not waited for. */
const TIMEOUT_MS = 60_000

/**
 * A chatbot id and a question as long as a customer's message may be
 * (config/chat.ts, read once the app has started).
 */
const chatbotAskValidator = () =>
  vine.compile(
    vine.object({
      chatbot_id: vine.number().withoutDecimals().min(1).max(Number.MAX_SAFE_INTEGER),
      question: vine
        .string()
        .trim()
        .minLength(1)
        .maxLength(app.config.get<number>('chat.maxMessageLength', 4000)),
    })
  )

/**
 * Asks a chatbot a question the way its customers would, outside any
 * conversation, and shows the answer with the knowledge chunks it used:
 * for tuning a chatbot's knowledge and threshold. Stores nothing.
 */
export default class ChatbotAsk extends ParleyCommand {
  static commandName = 'chatbot:ask'
  static description = 'Ask a chatbot a question; prints its answer and the knowledge it used'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Id of the chatbot (any organization)' })
  declare chatbotId: string

  @args.string({ description: 'The question, quoted' })
  declare question: string

  protected async handle() {
    const input = await this.validate(
      chatbotAskValidator(),
      { chatbot_id: this.chatbotId, question: this.question },
      { chatbot_id: '<chatbot-id>', question: '<question>' }
    )
    const chatbot = await TenantContext.asPlatform(async () => await Chatbot.find(input.chatbot_id))
    if (!chatbot)
      throw new CommandInputError(`There is no chatbot with the id ${input.chatbot_id}.`)

    const reply = await TenantContext.run(chatbot.organizationId, () =>
      this.#ask(chatbot, input.question)
    )
    this.#print(chatbot, reply)
  }

  /**
   * The chatbot's provider's reply to a message of no conversation.
   */
  async #ask(chatbot: Chatbot, question: string) {
    try {
      return await providerFor(chatbot).reply({
        chatbot,
        message: { id: 0, content: question, createdAt: new Date().toISOString() },
        conversation: {
          id: 0,
          channel: ConversationChannel.Console,
          status: ConversationStatus.Open,
        },
        contact: { id: 0, externalId: null, name: null, email: null, metadata: {} },
        history: [],
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (error) {
      // Provider errors never carry secrets (see ProviderError).
      if (error instanceof ProviderError) {
        throw new CommandInputError(
          `The ${chatbot.providerType} provider failed (${error.code}${error.retryable ? ', retryable' : ''}): ${error.message}`
        )
      }
      throw error
    }
  }

  #print(chatbot: Chatbot, reply: ChatReply) {
    this.logger.info(`${chatbot.name} (id ${chatbot.id}, ${chatbot.status})`)
    if (chatbot.status !== ChatbotStatus.Active) {
      this.logger.warning(
        `This chatbot is ${chatbot.status}: its customers get no answers from it.`
      )
    }
    this.logger.log(reply.content)
    this.logger.log(
      [
        `provider: ${reply.provider}`,
        `confidence: ${reply.confidence ?? 'n/a'}`,
        `fallback: ${reply.fallback ? 'yes' : 'no'}`,
        `chunks: ${reply.chunks.length}`,
      ].join(' · ')
    )
    if (reply.chunks.length === 0) return

    const table = this.ui.table().head(['chunk', 'source', 'score', 'text'])
    for (const chunk of reply.chunks) {
      table.row([
        String(chunk.id),
        chunk.sourceTitle,
        String(chunk.score),
        preview(chunk.heading ? `${chunk.heading} → ${chunk.content}` : chunk.content),
      ])
    }
    table.render()
  }
}

/**
 * The start of a text on one line.
 */
function preview(text: string) {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > PREVIEW_LENGTH ? `${line.slice(0, PREVIEW_LENGTH - 1)}…` : line
}
