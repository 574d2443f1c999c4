import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import Chatbot from '#models/chatbot'
import User from '#models/user'
import ConversationPolicy from '#policies/conversation_policy'
import ConversationService from '#services/conversation_service'
import RealtimeService from '#services/realtime_service'
import { filterQuery } from '#controllers/console/audit_logs_controller'
import { ConversationStatus } from '#enums/chatbots'
import {
  agentMessageValidator,
  conversationMessagesValidator,
  listConversationsValidator,
  noteValidator,
  updateConversationValidator,
} from '#validators/conversation'

/** Members by id, in one query (authors of replies and notes, assignees). */
async function membersById(ids: Array<number | null | undefined>) {
  const wanted = [...new Set(ids.filter((id): id is number => Boolean(id)).map(Number))]
  if (!wanted.length) return {}
  const users = await User.query().whereIn('id', wanted).select('id', 'name', 'email')
  return Object.fromEntries(users.map((user) => [Number(user.id), user.name || user.email]))
}

/** Chatbot names by id, deleted chatbots included (their conversations stay). */
async function chatbotOptions() {
  const chatbots = await Chatbot.query().withTrashed().select('id', 'name').orderBy('name')
  return chatbots.map((chatbot) => ({ value: Number(chatbot.id), label: chatbot.name }))
}

/**
 * The inbox in the console: the organization's conversations, a
 * conversation's transcript, and human handoff (take over, reply, notes,
 * hand back, resolve) through the API's policy, validators and service.
 */
export default class ConversationsController extends BaseController {
  /** Conversations, most recently active first, filtered; keyset pages. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listConversationsValidator, {
      data: ctx.request.qs(),
    })
    const viewer = ctx.auth.getUserOrFail()
    const { rows, meta } = await ConversationService.list(filters, viewer.id)
    const ids = rows.map((row) => Number(row.id))
    const latest = await ConversationService.latestMessages(ids)
    const assignees = await membersById(rows.map((row) => row.assignedUserId))
    const chatbots = await chatbotOptions()
    const { cursor, ...kept } = filters
    return ctx.view.render('pages/conversations/index', {
      conversations: rows.map((row) => ({
        conversation: row,
        latest: latest.get(Number(row.id)) ?? null,
        assignee: row.assignedUserId ? assignees[Number(row.assignedUserId)] : null,
      })),
      nextCursor: meta.next_cursor,
      paged: Boolean(cursor),
      filters: filterQuery(kept),
      chatbots,
      chatbotNames: Object.fromEntries(chatbots.map((option) => [option.value, option.label])),
      statuses: Object.values(ConversationStatus),
      channel: RealtimeService.channels.organization(ctx.tenant.organization.id),
    })
  }

  /** A conversation: contact, status, assignment and a page of its transcript. */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('view')
    const conversation = await ConversationService.find(ctx.params.id)
    const page = await ctx.request.validateUsing(conversationMessagesValidator, {
      data: ctx.request.qs(),
    })
    const { rows, hasMore } = await ConversationService.messages(conversation.id, {
      before: page.before,
      limit: page.limit,
    })
    const members = await membersById([
      conversation.assignedUserId,
      ...rows.map((row) => row.authorUserId),
    ])
    const chatbot = await Chatbot.query().withTrashed().where('id', conversation.chatbotId).first()
    return ctx.view.render('pages/conversations/show', {
      conversation,
      contact: conversation.contact,
      chatbot,
      messages: rows,
      members,
      assignedToMe: Number(conversation.assignedUserId) === Number(ctx.auth.getUserOrFail().id),
      olderBefore: hasMore && rows.length ? Number(rows[0].id) : null,
      latestPage: page.before === undefined,
      channel: RealtimeService.channels.conversation(conversation.id),
    })
  }

  /** Takes the conversation over: handoff, assigned to the acting member. */
  async takeOver(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('update')
    const { conversation, change } = await ConversationService.takeOver(
      ctx.params.id,
      ctx.auth.getUserOrFail()
    )
    return this.redirectWithLog(ctx, {
      ...change,
      message:
        'You have taken this conversation over: the bot stays silent until you hand it back.',
      route: 'conversations.show',
      params: { id: conversation.id },
    })
  }

  /** Hands back to the bot (`open`) or resolves. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('update')
    const { status } = await ctx.request.validateUsing(updateConversationValidator)
    const { conversation, change } = await ConversationService.setStatus(ctx.params.id, status)
    const messages: Record<ConversationStatus, string> = {
      open: 'Handed back to the bot.',
      handoff: 'Conversation taken over.',
      resolved: 'Conversation resolved.',
    }
    return this.redirectWithLog(ctx, {
      ...change,
      message: messages[status],
      route: 'conversations.show',
      params: { id: conversation.id },
    })
  }

  /** An agent's reply to the customer (takes the conversation over). */
  async reply(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('reply')
    const { text } = await ctx.request.validateUsing(agentMessageValidator)
    const { conversation, change } = await ConversationService.postAgentMessage(
      ctx.params.id,
      ctx.auth.getUserOrFail(),
      text
    )
    return this.redirectWithLog(ctx, {
      ...change,
      message: 'Reply sent.',
      route: 'conversations.show',
      params: { id: conversation.id },
    })
  }

  /** An internal note, for members only. */
  async note(ctx: HttpContext) {
    await ctx.bouncer.with(ConversationPolicy).authorize('reply')
    const { text } = await ctx.request.validateUsing(noteValidator)
    const { conversation, change } = await ConversationService.addNote(
      ctx.params.id,
      ctx.auth.getUserOrFail(),
      text
    )
    return this.redirectWithLog(ctx, {
      ...change,
      message: 'Note added (visible to members only).',
      route: 'conversations.show',
      params: { id: conversation.id },
    })
  }
}
