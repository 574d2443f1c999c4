import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ApiException from '#exceptions/api_exception'
import PublicChatService, { visitorTokenOf } from '#services/public_chat_service'
import { presentPublicMessage } from '#services/conversation_service'
import {
  publicMessageValidator,
  publicMessagesValidator,
  startPublicConversationValidator,
} from '#validators/public_chat'

/**
 * `/api/v1/public`: the chat API of the widget and custom front ends. No
 * account: a chatbot's public key starts a conversation, the visitor token
 * it returns is the credential for the rest. CORS (the chatbot's allowed
 * origins) is enforced before these actions run, by PublicCorsMiddleware.
 * End users' traffic is not written to the audit trail.
 */
export default class PublicChatController extends BaseController {
  /**
   * Starts a conversation (201); the visitor token is shown only here.
   */
  async start(ctx: HttpContext) {
    const chatbot = await PublicChatService.findChatbot(ctx.params.key)
    const { contact } = await ctx.request.validateUsing(startPublicConversationValidator)
    const { conversation, visitorToken } = await PublicChatService.start(chatbot, contact)
    return this.success(
      ctx,
      {
        conversation_id: Number(conversation.id),
        visitor_token: visitorToken,
        chatbot: { name: chatbot.name, welcome_message: chatbot.welcomeMessage },
        status: conversation.status,
      },
      { status: 201, message: 'Conversation started: keep the visitor token, it is shown once' }
    )
  }

  /**
   * The conversation's messages after `?after=<id>`, oldest first; the next
   * page starts after `meta.last_id`.
   */
  async index(ctx: HttpContext) {
    const conversation = await PublicChatService.authenticate(ctx.params.id, this.visitorToken(ctx))
    const page = await ctx.request.validateUsing(publicMessagesValidator, {
      data: ctx.request.qs(),
    })
    const { rows, limit, hasMore, lastId } = await PublicChatService.messages(conversation, page)
    return this.success(ctx, rows.map(presentPublicMessage), {
      meta: { limit, has_more: hasMore, last_id: lastId },
    })
  }

  /**
   * A visitor's message (202): the reply arrives on the visitor channel
   * and in the messages list.
   */
  async store(ctx: HttpContext) {
    const conversation = await PublicChatService.authenticate(ctx.params.id, this.visitorToken(ctx))
    const { text } = await ctx.request.validateUsing(publicMessageValidator)
    const { message, conversation: current } = await PublicChatService.send(conversation, text)
    return this.success(
      ctx,
      {
        message: presentPublicMessage(message),
        conversation: { id: Number(current.id), status: current.status },
      },
      { status: 202, message: 'Accepted: the reply is on its way' }
    )
  }

  /**
   * The visitor token: `X-Visitor-Token`, or `Authorization: Bearer vt_…`.
   */
  protected visitorToken(ctx: HttpContext) {
    const token = visitorTokenOf(ctx)
    if (token) return token
    throw new ApiException(
      "Send this conversation's visitor token in the X-Visitor-Token header (or as Authorization: Bearer vt_…).",
      'UNAUTHENTICATED',
      401
    )
  }
}
