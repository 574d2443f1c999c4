import type { Infer } from '@vinejs/vine/types'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Chatbot, { type ProviderSettings } from '#models/chatbot'
import Conversation from '#models/conversation'
import { providerFor, ProviderError } from '#providers/chat/index'
import ApiException from '#exceptions/api_exception'
import type { AuditedChange } from '#services/audit_service'
import KnowledgeService from '#services/knowledge_service'
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
/** What a connection test asks, and how long it waits at most. */
const CONNECTION_PROBE = 'Connection test from Parley: please answer briefly.'
const PROBE_TIMEOUT_MS = 15_000
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
 * What a connection test found: `ok` with the latency and the start of the
 * reply, or the classified error.
 */
export type ConnectionTestResult = {
  ok: boolean
  provider: ProviderType
  latency_ms: number
  reply: string | null
  error_code: string | null
  error: string | null
  retryable: boolean | null
}

/**
 * The audit entries of chatbot changes, the same whether the API or the
 * console made them. A connection test keeps all but the sample reply.
 */
export const ChatbotChanges = {
  created: (chatbot: Chatbot): AuditedChange => ({
    action: 'chatbot.created',
    subject: { type: 'chatbot', id: chatbot.id },
    changes: snapshotChatbot(chatbot),
  }),
  updated: (
    chatbot: Chatbot,
    before: ReturnType<typeof snapshotChatbot>,
    after: ReturnType<typeof snapshotChatbot>
  ): AuditedChange => ({
    action: 'chatbot.updated',
    subject: { type: 'chatbot', id: chatbot.id },
    changes: { before, after },
  }),
  deleted: (deleted: { id: number; name: string }): AuditedChange => ({
    action: 'chatbot.deleted',
    subject: { type: 'chatbot', id: deleted.id },
    changes: deleted,
  }),
  duplicated: (sourceId: number, chatbot: Chatbot): AuditedChange => ({
    action: 'chatbot.duplicated',
    subject: { type: 'chatbot', id: chatbot.id },
    changes: { source_id: Number(sourceId), ...snapshotChatbot(chatbot) },
  }),
  connectionTested: (chatbot: Chatbot, result: ConnectionTestResult): AuditedChange => ({
    action: 'chatbot.connection_tested',
    subject: { type: 'chatbot', id: chatbot.id },
    changes: Object.fromEntries(Object.entries(result).filter(([key]) => key !== 'reply')),
  }),
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
   * public key, and copies of its knowledge, in one transaction: indexed
   * sources with their chunks (the copy answers at once), the others
   * queued for indexing once committed.
   */
  static async duplicate(id: number | string) {
    const original = await this.find(id)
    const { copy, unindexed } = await db.transaction(async (trx) => {
      const created = await Chatbot.create(
        {
          name: `${original.name.slice(0, MAX_NAME - COPY_SUFFIX.length)}${COPY_SUFFIX}`,
          description: original.description,
          status: ChatbotStatus.Draft,
          providerType: original.providerType,
          providerSettings: { ...original.providerSettings },
          systemPrompt: original.systemPrompt,
          welcomeMessage: original.welcomeMessage,
          fallbackMessage: original.fallbackMessage,
          temperature: original.temperature,
          maxReplyTokens: original.maxReplyTokens,
          allowedOrigins: [...(original.allowedOrigins ?? [])],
        },
        { client: trx }
      )
      return {
        copy: created,
        unindexed: await KnowledgeService.copyAll(original.id, created.id, trx),
      }
    })
    await KnowledgeService.queueIndexing(unindexed)
    return copy
  }

  /**
   * How many conversations each of these chatbots started today (UTC), in
   * one grouped query: chatbot id → count (absent when none).
   */
  static async conversationsToday(chatbotIds: number[]) {
    if (chatbotIds.length === 0) return new Map<number, number>()
    const startOfDay = DateTime.utc()
      .startOf('day')
      .toFormat(db.connection().dialect.dateTimeFormat)
    const rows = await Conversation.query()
      .whereIn('chatbot_id', chatbotIds)
      .where('created_at', '>=', startOfDay)
      .groupBy('chatbot_id')
      .select('chatbot_id')
      .count('* as total')
    return new Map(rows.map((row) => [Number(row.chatbotId), Number(row.$extras.total)]))
  }

  /**
   * Sends a short probe through the chatbot's provider, outside any
   * conversation, and reports whether it answered and how fast, or the
   * classified error. Nothing is stored; messages never carry a secret
   * (providers keep them out of their errors).
   */
  static async testConnection(
    id: number | string
  ): Promise<{ chatbot: Chatbot; result: ConnectionTestResult }> {
    const chatbot = await this.find(id)
    const started = performance.now()
    const latencyMs = () => Math.round(performance.now() - started)
    try {
      const reply = await providerFor(chatbot).reply({
        chatbot,
        message: { id: 0, content: CONNECTION_PROBE, createdAt: DateTime.utc().toISO() },
        conversation: { id: 0, channel: 'console', status: 'open' },
        contact: { id: 0, externalId: null, name: null, email: null, metadata: {} },
        history: [],
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      })
      return {
        chatbot,
        result: {
          ok: true,
          provider: chatbot.providerType,
          latency_ms: latencyMs(),
          reply: reply.content.slice(0, 200),
          error_code: null,
          error: null,
          retryable: null,
        },
      }
    } catch (error) {
      const classified = error instanceof ProviderError
      return {
        chatbot,
        result: {
          ok: false,
          provider: chatbot.providerType,
          latency_ms: latencyMs(),
          reply: null,
          error_code: classified ? error.code : 'provider_error',
          error: classified ? error.message : 'The provider could not be reached.',
          retryable: classified ? error.retryable : true,
        },
      }
    }
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
