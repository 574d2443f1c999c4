import type { HttpContext } from '@adonisjs/core/http'
import app from '@adonisjs/core/services/app'
import BaseController from '#controllers/base_controller'
import ConversationPolicy from '#policies/conversation_policy'
import ChatbotService from '#services/chatbot_service'
import ChatPipeline from '#services/chat_pipeline'
import { presentConversation, presentMessage } from '#services/conversation_service'
import { chatbotMessageValidator } from '#validators/conversation'
import { ConversationChannel } from '#enums/chatbots'

/**
 * `POST /api/v1/chatbots/:id/messages`: a user's message sent to a chatbot
 * by the organization's own systems.
 */
export default class ChatbotMessagesController extends BaseController {
  /**
   * Accepts the message (202, answered in the background). With
   * `wait=true` it answers 200 with the reply once there is one, or 202
   * with the message id to poll (`GET /api/v1/conversations/:id?after=`)
   * when it takes longer than `wait_timeout_ms` (10 s by default).
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('reply')
    const payload = await ctx.request.validateUsing(chatbotMessageValidator)
    const chatbot = await ChatbotService.find(ctx.params.id)
    const { conversation, message } = await ChatPipeline.ingest({
      chatbot,
      text: payload.text,
      contact: payload.contact,
      conversationId: payload.conversation_id,
      channel: ConversationChannel.Api,
    })

    const chat = app.config.get<{ waitTimeoutMs: number; maxWaitTimeoutMs: number }>('chat')
    const reply =
      payload.wait && message.status === 'pending'
        ? await ChatPipeline.waitForReply(
            message.id,
            Math.min(payload.wait_timeout_ms ?? chat.waitTimeoutMs, chat.maxWaitTimeoutMs)
          )
        : null
    if (reply) await message.refresh()

    const { contact, ...summary } = presentConversation(conversation)
    return this.success(
      ctx,
      {
        conversation: summary,
        contact,
        message: presentMessage(message),
        reply: reply ? presentMessage(reply) : null,
      },
      {
        status: reply ? 200 : 202,
        message: reply ? 'Answered' : 'Accepted: the reply is on its way',
      }
    )
  }
}
