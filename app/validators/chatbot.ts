import vine from '@vinejs/vine'
import { ChatbotStatus, ProviderType } from '#enums/chatbots'

const MAX_ALLOWED_ORIGINS = 20

/** `https://shop.example.com` or `http://localhost:3000`: scheme, host, optional port, no path. */
const ORIGIN =
  /^https?:\/\/(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i

const httpUrl = () =>
  vine
    .string()
    .trim()
    .maxLength(2048)
    .url({ require_protocol: true, require_tld: false, protocols: ['http', 'https'] })

/**
 * Settings of each provider. Secrets are required when a provider is
 * chosen and optional when its settings change (an omitted secret keeps the
 * stored one).
 */
const providerSettings = (secretsRequired: boolean) => {
  const secret = (min: number) => {
    const value = vine.string().minLength(min).maxLength(500)
    return secretsRequired ? value : value.optional()
  }
  return {
    [ProviderType.Builtin]: vine.object({
      threshold: vine.number().min(0).max(1).optional(),
    }),
    [ProviderType.OpenAI]: vine.object({
      base_url: httpUrl(),
      model: vine.string().trim().minLength(1).maxLength(100),
      api_key: secret(1),
      // Streaming is on unless turned off (some compatible servers do not stream).
      stream: vine.boolean().optional(),
      timeout_ms: vine.number().withoutDecimals().min(1000).max(300_000).optional(),
    }),
    [ProviderType.Webhook]: vine.object({
      url: httpUrl(),
      secret: secret(16),
      timeout_ms: vine.number().withoutDecimals().min(100).max(60_000).optional(),
    }),
  }
}

/**
 * `provider_settings` is checked against the schema of `provider_type`
 * (builtin when a new chatbot names none). A new chatbot with an external
 * provider needs its settings; a change may omit them (ChatbotService
 * checks that a switch of provider brings its own).
 */
const providerGroup = (mode: 'create' | 'update') => {
  const schemas = providerSettings(mode === 'create')
  const typeOf = (data: Record<string, unknown>) =>
    data.provider_type ?? (mode === 'create' ? ProviderType.Builtin : undefined)
  return vine
    .group([
      vine.group.if((data) => typeOf(data) === ProviderType.Builtin, {
        provider_settings: schemas[ProviderType.Builtin].optional(),
      }),
      vine.group.if((data) => typeOf(data) === ProviderType.OpenAI, {
        provider_settings:
          mode === 'create'
            ? schemas[ProviderType.OpenAI]
            : schemas[ProviderType.OpenAI].optional(),
      }),
      vine.group.if((data) => typeOf(data) === ProviderType.Webhook, {
        provider_settings:
          mode === 'create'
            ? schemas[ProviderType.Webhook]
            : schemas[ProviderType.Webhook].optional(),
      }),
    ])
    .otherwise(() => {
      // An update that leaves the provider alone: nothing to check.
    })
}

const name = () => vine.string().trim().minLength(2).maxLength(120)
const text = (max: number) => vine.string().trim().maxLength(max).nullable()
const status = () => vine.enum(Object.values(ChatbotStatus))
const providerType = () => vine.enum(Object.values(ProviderType))
const temperature = () => vine.number().min(0).max(2)
const maxReplyTokens = () => vine.number().withoutDecimals().min(16).max(4096)
const allowedOrigins = () =>
  vine
    .array(vine.string().trim().toLowerCase().maxLength(255).regex(ORIGIN))
    .maxLength(MAX_ALLOWED_ORIGINS)
    .distinct()

export const createChatbotValidator = vine.compile(
  vine
    .object({
      name: name(),
      description: text(1000).optional(),
      status: status().optional(),
      provider_type: providerType().optional(),
      system_prompt: text(8000).optional(),
      welcome_message: text(1000).optional(),
      fallback_message: text(1000).optional(),
      temperature: temperature().optional(),
      max_reply_tokens: maxReplyTokens().optional(),
      allowed_origins: allowedOrigins().optional(),
    })
    .merge(providerGroup('create'))
)

export const updateChatbotValidator = vine.compile(
  vine
    .object({
      name: name().optional(),
      description: text(1000).optional(),
      status: status().optional(),
      // Settings are checked against the provider they are for.
      provider_type: providerType().optional().requiredIfExists('provider_settings'),
      system_prompt: text(8000).optional(),
      welcome_message: text(1000).optional(),
      fallback_message: text(1000).optional(),
      temperature: temperature().optional(),
      max_reply_tokens: maxReplyTokens().optional(),
      allowed_origins: allowedOrigins().optional(),
    })
    .merge(providerGroup('update'))
)

export const listChatbotsValidator = vine.compile(
  vine.object({
    status: status().optional(),
    q: vine.string().trim().maxLength(100).optional(),
  })
)
