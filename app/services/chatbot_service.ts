import type { Infer } from '@vinejs/vine/types'
import Chatbot, { type ProviderSettings } from '#models/chatbot'
import ApiException from '#exceptions/api_exception'
import { ChatbotStatus, ProviderType, SECRET_PROVIDER_SETTINGS } from '#enums/chatbots'
import type {
  createChatbotValidator,
  listChatbotsValidator,
  updateChatbotValidator,
} from '#validators/chatbot'

type CreateChatbotInput = Infer<typeof createChatbotValidator>
type UpdateChatbotInput = Infer<typeof updateChatbotValidator>
type ChatbotFilters = Infer<typeof listChatbotsValidator>

const MAX_NAME = 120
const COPY_SUFFIX = ' (copy)'

/** Settings each external provider cannot work without. */
const REQUIRED_SETTINGS: Record<ProviderType, string[]> = {
  [ProviderType.Builtin]: [],
  [ProviderType.OpenAI]: ['base_url', 'model', 'api_key'],
  [ProviderType.Webhook]: ['url', 'secret'],
}

const isSecret = (key: string) => (SECRET_PROVIDER_SETTINGS as readonly string[]).includes(key)

/**
 * What the API and the audit log show of a chatbot: its provider secrets
 * only as the names of those that are set.
 */
export function snapshotChatbot(chatbot: Chatbot) {
  const settings = Object.entries(chatbot.providerSettings ?? {})
  return {
    name: chatbot.name,
    description: chatbot.description,
    status: chatbot.status,
    provider_type: chatbot.providerType,
    provider_settings: Object.fromEntries(settings.filter(([key]) => !isSecret(key))),
    provider_secrets_set: settings
      .filter(([key, value]) => isSecret(key) && Boolean(value))
      .map(([key]) => key),
    system_prompt: chatbot.systemPrompt,
    welcome_message: chatbot.welcomeMessage,
    fallback_message: chatbot.fallbackMessage,
    temperature: chatbot.temperature,
    max_reply_tokens: chatbot.maxReplyTokens,
    allowed_origins: chatbot.allowedOrigins ?? [],
  }
}

export function presentChatbot(chatbot: Chatbot) {
  return {
    id: Number(chatbot.id),
    ...snapshotChatbot(chatbot),
    public_key: chatbot.publicKey,
    created_at: chatbot.createdAt.toISO(),
    updated_at: chatbot.updatedAt.toISO(),
  }
}

/**
 * The current organization's chatbots. Deleting is soft: a deleted chatbot
 * disappears from every query but its conversations stay on record.
 */
export default class ChatbotService {
  static list(filters: ChatbotFilters) {
    return Chatbot.query()
      .if(filters.status, (query) => query.where('status', filters.status!))
      .if(filters.q, (query) => query.whereILike('name', `%${filters.q!.toLowerCase()}%`))
      .orderBy('id', 'desc')
  }

  /**
   * A chatbot of this organization; 404 for unknown, deleted and other
   * organizations' ids.
   */
  static find(id: number | string) {
    return Chatbot.query().where('id', id).firstOrFail()
  }

  static async create(input: CreateChatbotInput) {
    return Chatbot.create({
      name: input.name,
      description: input.description ?? null,
      status: input.status ?? ChatbotStatus.Draft,
      providerType: input.provider_type ?? ProviderType.Builtin,
      providerSettings: (input.provider_settings ?? {}) as ProviderSettings,
      systemPrompt: input.system_prompt ?? null,
      welcomeMessage: input.welcome_message ?? null,
      fallbackMessage: input.fallback_message ?? null,
      temperature: input.temperature ?? 0.3,
      maxReplyTokens: input.max_reply_tokens ?? 512,
      allowedOrigins: input.allowed_origins ?? [],
    })
  }

  /**
   * Changes the given fields. New provider settings replace the old ones,
   * except that a secret left out keeps its stored value while the provider
   * stays the same.
   */
  static async update(id: number | string, input: UpdateChatbotInput) {
    const chatbot = await this.find(id)
    const before = snapshotChatbot(chatbot)
    const { provider_type: providerType, provider_settings: providerSettings, ...fields } = input

    // Lucid's merge assigns undefined too: keep only the fields sent.
    const changes = {
      name: fields.name,
      description: fields.description,
      status: fields.status,
      systemPrompt: fields.system_prompt,
      welcomeMessage: fields.welcome_message,
      fallbackMessage: fields.fallback_message,
      temperature: fields.temperature,
      maxReplyTokens: fields.max_reply_tokens,
      allowedOrigins: fields.allowed_origins,
    }
    chatbot.merge(
      Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
    )
    if (providerType !== undefined) {
      const kept = providerType === chatbot.providerType ? chatbot.providerSettings : {}
      chatbot.providerType = providerType
      chatbot.providerSettings = this.completeSettings(providerType, {
        ...kept,
        ...((providerSettings ?? {}) as ProviderSettings),
      })
    }
    await chatbot.save()
    return { chatbot, before, after: snapshotChatbot(chatbot) }
  }

  /**
   * Soft-deletes a chatbot; its widget stops answering at once.
   */
  static async delete(id: number | string) {
    const chatbot = await this.find(id)
    await chatbot.delete()
    return { id: chatbot.id, name: chatbot.name }
  }

  /**
   * A draft copy with the same settings (secrets included) under a new
   * public key. Knowledge is not copied.
   */
  static async duplicate(id: number | string) {
    const source = await this.find(id)
    return Chatbot.create({
      name: `${source.name.slice(0, MAX_NAME - COPY_SUFFIX.length)}${COPY_SUFFIX}`,
      description: source.description,
      status: ChatbotStatus.Draft,
      providerType: source.providerType,
      providerSettings: { ...source.providerSettings },
      systemPrompt: source.systemPrompt,
      welcomeMessage: source.welcomeMessage,
      fallbackMessage: source.fallbackMessage,
      temperature: source.temperature,
      maxReplyTokens: source.maxReplyTokens,
      allowedOrigins: [...(source.allowedOrigins ?? [])],
    })
  }

  /**
   * Settings for a switch of provider must include what it needs.
   */
  protected static completeSettings(type: ProviderType, settings: ProviderSettings) {
    const missing = REQUIRED_SETTINGS[type].filter((key) => !settings[key])
    if (missing.length > 0) {
      throw new ApiException(
        `The ${type} provider needs provider_settings.${missing.join(', provider_settings.')}: send them with provider_type.`,
        'PROVIDER_SETTINGS_REQUIRED',
        422
      )
    }
    return settings
  }
}
