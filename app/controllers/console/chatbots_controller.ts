import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import BaseController from '#controllers/base_controller'
import ChatbotPolicy from '#policies/chatbot_policy'
import ChatbotService, { ChatbotChanges, snapshotChatbot } from '#services/chatbot_service'
import { createChatbotValidator, updateChatbotValidator } from '#validators/chatbot'
import { ChatbotStatus, ProviderType } from '#enums/chatbots'

type FormBody = Record<string, any>

/**
 * The form posts every provider's fields under `providers[<type>]` (only
 * the chosen one is shown): the validator gets the chosen provider's as
 * `provider_settings`, blanks dropped — a blank secret keeps the stored
 * one — and an unticked `stream` as false. Allowed origins come one per
 * line.
 */
function chatbotInput(body: FormBody) {
  const { providers, allowed_origins: origins, ...fields } = body
  const type = fields.provider_type ?? ProviderType.Builtin
  const chosen: Record<string, unknown> = { ...(providers?.[type] ?? {}) }
  if (type === ProviderType.OpenAI) chosen.stream = chosen.stream ?? false
  return {
    ...fields,
    provider_settings: Object.fromEntries(
      Object.entries(chosen).filter(([, value]) => value !== null && value !== undefined)
    ),
    allowed_origins: String(origins ?? '')
      .split(/[\s,]+/)
      .filter(Boolean),
  }
}

/** What the form's selects offer. */
const formOptions = () => ({
  statuses: Object.values(ChatbotStatus).map((value) => ({ value, label: value })),
  providerTypes: [
    { value: ProviderType.Builtin, label: 'Built-in knowledge responder' },
    { value: ProviderType.OpenAI, label: 'OpenAI-compatible API' },
    { value: ProviderType.Webhook, label: 'Webhook (n8n or any HTTP workflow)' },
  ],
})

/**
 * The console's chatbot studio: the same policy, validators, service and
 * audit actions as `/api/v1/chatbots`. Provider secrets are write-only.
 */
export default class ChatbotsController extends BaseController {
  /** Chatbots with their status, provider and conversations started today. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const chatbots = await ChatbotService.list({}).paginateInOne(page, perPage)
    return ctx.view.render('pages/chatbots/index', {
      chatbots: chatbots.all(),
      today: await ChatbotService.conversationsToday(chatbots.all().map((bot) => bot.id)),
      meta: this.pageMeta(chatbots),
    })
  }

  /** The form of a new chatbot. */
  async create(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('create')
    return ctx.view.render('pages/chatbots/form', { chatbot: null, ...formOptions() })
  }

  /** Creates a chatbot and opens its page. */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('create')
    const payload = await createChatbotValidator.validate(chatbotInput(ctx.request.body()))
    const chatbot = await ChatbotService.create(payload)
    return this.redirectWithLog(ctx, {
      ...ChatbotChanges.created(chatbot),
      message: `Chatbot "${chatbot.name}" created.`,
      route: 'chatbots.edit',
      params: { id: chatbot.id },
    })
  }

  /**
   * A chatbot's page: its settings (a form for managers, read-only for the
   * others), the embed snippet and the last connection test.
   */
  async edit(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('view')
    const chatbot = await ChatbotService.find(ctx.params.id)
    return ctx.view.render('pages/chatbots/form', {
      chatbot,
      canManage: await ctx.bouncer.with(ChatbotPolicy).allows('update'),
      settings: snapshotChatbot(chatbot),
      appUrl: (env.get('APP_URL') ?? `${ctx.request.protocol()}://${ctx.request.host()}`).replace(
        /\/+$/,
        ''
      ),
      connectionTest: ctx.session.flashMessages.get('connection_test') ?? null,
      ...formOptions(),
    })
  }

  /** Changes a chatbot's settings; blank secrets keep their stored value. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const payload = await updateChatbotValidator.validate(chatbotInput(ctx.request.body()))
    const { chatbot, before, after } = await ChatbotService.update(ctx.params.id, payload)
    return this.redirectWithLog(ctx, {
      ...ChatbotChanges.updated(chatbot, before, after),
      message: `Chatbot "${chatbot.name}" saved.`,
      route: 'chatbots.edit',
      params: { id: chatbot.id },
    })
  }

  /** Deletes a chatbot (soft: its conversations stay on record). */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('delete')
    const deleted = await ChatbotService.delete(ctx.params.id)
    return this.redirectWithLog(ctx, {
      ...ChatbotChanges.deleted(deleted),
      message: `Chatbot "${deleted.name}" deleted.`,
      route: 'chatbots.index',
    })
  }

  /** A draft copy with the same settings and a copy of its knowledge. */
  async duplicate(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('create')
    const chatbot = await ChatbotService.duplicate(ctx.params.id)
    return this.redirectWithLog(ctx, {
      ...ChatbotChanges.duplicated(ctx.params.id, chatbot),
      message: `Chatbot duplicated as "${chatbot.name}".`,
      route: 'chatbots.edit',
      params: { id: chatbot.id },
    })
  }

  /** Sends a probe through the provider and shows the outcome on the chatbot's page. */
  async testConnection(ctx: HttpContext) {
    await ctx.bouncer.with(ChatbotPolicy).authorize('update')
    const { chatbot, result } = await ChatbotService.testConnection(ctx.params.id)
    ctx.session.flash('connection_test', result)
    const redirect = await this.redirectWithLog(ctx, {
      ...ChatbotChanges.connectionTested(chatbot, result),
      message: result.ok
        ? `The provider answered in ${result.latency_ms} ms.`
        : `The provider did not answer: ${result.error}`,
      route: 'chatbots.edit',
      params: { id: chatbot.id },
    })
    // A failed test is reported as an error, not with the success banner.
    if (!result.ok) {
      ctx.session.responseFlashMessages.unset('success')
      ctx.session.flash('error', `The provider did not answer: ${result.error}`)
    }
    return redirect
  }
}
