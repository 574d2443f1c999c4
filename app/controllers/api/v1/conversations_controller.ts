import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ConversationPolicy from '#policies/conversation_policy'
import ConversationService, {
  presentConversation,
  presentMessage,
} from '#services/conversation_service'
import {
  agentMessageValidator,
  conversationMessagesValidator,
  listConversationsValidator,
  noteValidator,
  updateConversationValidator,
} from '#validators/conversation'

/**
 * `/api/v1/conversations`: the organization's conversations, read and
 * taken part in by its members.
 */
export default class ConversationsController extends BaseController {
  /**
   * Conversations, most recently active first, filterable by chatbot,
   * status, contact, channel, assignment (`me`, `unassigned`) and last
   * activity; keyset-paginated
   * (`meta.next_cursor` → `?cursor=`).
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listConversationsValidator, {
      data: ctx.request.qs(),
    })
    const { rows, meta } = await ConversationService.list(filters, ctx.auth.user?.id)
    return this.success(ctx, rows.map(presentConversation), { meta })
  }

  /**
   * A conversation with a page of its messages, oldest first: the latest by
   * default, `?before=<id>` to scroll back, `?after=<id>` to catch up.
   */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('view')
    const conversation = await ConversationService.find(ctx.params.id)
    const page = await ctx.request.validateUsing(conversationMessagesValidator, {
      data: ctx.request.qs(),
    })
    const { rows, hasMore } = await ConversationService.messages(conversation.id, page)
    return this.success(
      ctx,
      { ...presentConversation(conversation), messages: rows.map(presentMessage) },
      {
        meta: {
          limit: Math.min(page.limit ?? 50, 100),
          has_more: hasMore,
          first_id: rows.length ? Number(rows[0].id) : null,
          last_id: rows.length ? Number(rows[rows.length - 1].id) : null,
        },
      }
    )
  }

  /**
   * A member replies as an agent (taking the conversation over).
   */
  async reply(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('reply')
    const { text } = await ctx.request.validateUsing(agentMessageValidator)
    const { message, change } = await ConversationService.postAgentMessage(
      ctx.params.id,
      ctx.auth.getUserOrFail(),
      text
    )
    return this.successWithLog(ctx, {
      ...change,
      data: presentMessage(message),
      message: 'Reply sent',
      status: 201,
    })
  }

  /**
   * An internal note, visible to members only.
   */
  async note(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('reply')
    const { text } = await ctx.request.validateUsing(noteValidator)
    const { note, change } = await ConversationService.addNote(
      ctx.params.id,
      ctx.auth.getUserOrFail(),
      text
    )
    return this.successWithLog(ctx, {
      ...change,
      data: presentMessage(note),
      message: 'Note added',
      status: 201,
    })
  }

  /**
   * Changes the status: `handoff` (a human takes over), `open` (back to
   * the bot) or `resolved`.
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('update')
    const { status } = await ctx.request.validateUsing(updateConversationValidator)
    const { conversation, change } = await ConversationService.setStatus(ctx.params.id, status)
    return this.successWithLog(ctx, {
      ...change,
      data: presentConversation(conversation),
      message: 'Conversation updated',
    })
  }
}
