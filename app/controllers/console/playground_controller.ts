import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService from '#services/chatbot_service'
import ChatPipeline from '#services/chat_pipeline'
import Conversation from '#models/conversation'
import { chatbotMessageValidator } from '#validators/conversation'
import { ConversationChannel, MessageRole, MessageStatus } from '#enums/chatbots'

/** Messages of a playground conversation shown at once (the latest). */
const TRANSCRIPT_LIMIT = 50

/**
 * The playground: a member chats with a chatbot through the real message
 * pipeline (channel `console`, answered by a worker like any customer
 * message) and sees which knowledge chunks each reply used.
 */
export default class PlaygroundController extends BaseController {
  /** The chat, continuing `?conversation=<id>` when given. */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    const conversationId = Number(ctx.request.qs().conversation)
    const conversation = Number.isSafeInteger(conversationId)
      ? await this.playgroundConversation(chatbot.id, conversationId).first()
      : null
    const latest = conversation
      ? await conversation.related('messages').query().orderBy('id', 'desc').limit(TRANSCRIPT_LIMIT)
      : []
    const messages = latest.reverse()
    const waiting = messages.some(
      (message) =>
        message.role === MessageRole.User &&
        [MessageStatus.Pending, MessageStatus.Processing].includes(message.status)
    )
    return ctx.view.render('pages/chatbots/playground', {
      chatbot,
      conversation,
      messages,
      waiting,
    })
  }

  /**
   * Sends the member's question through the pipeline and waits for the
   * reply (up to the API's default wait); a slower reply appears when the
   * page polls.
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const payload = await ctx.request.validateUsing(chatbotMessageValidator)
    const chatbot = await ChatbotService.find(ctx.params.id)
    const user = ctx.auth.getUserOrFail()
    // Only playground conversations continue here, never a customer's.
    if (payload.conversation_id !== undefined) {
      await this.playgroundConversation(chatbot.id, payload.conversation_id).firstOrFail()
    }
    const { conversation, message } = await ChatPipeline.ingest({
      chatbot,
      text: payload.text,
      // One playground contact per member, kept apart from real customers.
      contact: { external_id: `console-user-${user.id}`, name: user.name ?? user.email },
      conversationId: payload.conversation_id,
      channel: ConversationChannel.Console,
    })
    if (message.status === MessageStatus.Pending) {
      const chat = app.config.get<{ waitTimeoutMs: number }>('chat')
      await ChatPipeline.waitForReply(message.id, chat.waitTimeoutMs)
    }
    return ctx.response
      .redirect()
      .withQs({ conversation: conversation.id })
      .toRoute('chatbots.playground', { id: chatbot.id })
  }

  protected playgroundConversation(chatbotId: number, id: number) {
    return Conversation.query()
      .where('id', id)
      .where('chatbot_id', chatbotId)
      .where('channel', ConversationChannel.Console)
  }
}
