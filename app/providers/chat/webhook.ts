import type Chatbot from '#models/chatbot'
import { ProviderType } from '#enums/chatbots'
import { signWebhook } from '#support/webhook_signature'
import {
  ProviderError,
  fallbackMessageOf,
  type ChatProvider,
  type ChatReply,
  type ChatRequest,
} from '#providers/chat/types'

const DEFAULT_TIMEOUT_MS = 10_000
const MAX_REPLY_BYTES = 256 * 1024
const MAX_HISTORY_TURNS = 20

/** Where the reply text may be, in order: `output` is n8n's AI agent default. */
const REPLY_FIELDS = ['reply', 'text', 'message', 'output'] as const

type Settings = { url: string; secret: string; timeoutMs: number }
type MappedReply = { text: string | null; handoff: boolean }

/**
 * Answers through an HTTP workflow (n8n, Zapier, a customer's own
 * endpoint): POSTs the message, its conversation, contact and recent
 * history as signed JSON and maps the reply. Never retries itself: the
 * pipeline does, from `ProviderError.retryable`; `X-Parley-Message-Id`
 * lets the receiver recognise a retried call.
 */
export default class WebhookProvider implements ChatProvider {
  readonly usesHistory = true

  async reply(request: ChatRequest): Promise<ChatReply> {
    const settings = settingsOf(request.chatbot)
    const body = JSON.stringify(payloadOf(request))
    const timestamp = Math.floor(Date.now() / 1000)
    const deadline = AbortSignal.timeout(settings.timeoutMs)
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline

    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Parley-Webhook/1',
          'X-Parley-Timestamp': String(timestamp),
          'X-Parley-Signature': signWebhook(settings.secret, timestamp, body),
          'X-Parley-Message-Id': String(request.message.id),
        },
        body,
        // A redirect could send the signed message to another host: refused (3xx is permanent).
        redirect: 'manual',
        signal,
      })
      const mapped = mapReply(await readReply(response))
      if (mapped.text) {
        return {
          content: mapped.text,
          provider: ProviderType.Webhook,
          chunks: [],
          ...(mapped.handoff && { handoff: true }),
        }
      }
      // A workflow may hand the conversation over without a text of its own.
      return {
        content: fallbackMessageOf(request.chatbot),
        provider: ProviderType.Webhook,
        chunks: [],
        fallback: true,
        handoff: true,
      }
    } catch (error) {
      throw classify(error, deadline, request.signal)
    }
  }
}

/**
 * The JSON body of a call (snake_case, like the public API).
 */
function payloadOf(request: ChatRequest) {
  const { chatbot, conversation, contact, message } = request
  return {
    event: 'message.created',
    chatbot: { id: chatbot.id, name: chatbot.name },
    conversation: {
      id: conversation.id,
      channel: conversation.channel,
      status: conversation.status,
    },
    contact: {
      id: contact.id,
      external_id: contact.externalId,
      name: contact.name,
      email: contact.email,
      metadata: contact.metadata,
    },
    message: { id: message.id, content: message.content, created_at: message.createdAt },
    history: request.history
      .slice(-MAX_HISTORY_TURNS)
      .map(({ role, content }) => ({ role, content })),
  }
}

function settingsOf(chatbot: Chatbot): Settings {
  const settings = chatbot.providerSettings ?? {}
  const url = typeof settings.url === 'string' ? settings.url : ''
  const secret = typeof settings.secret === 'string' ? settings.secret : ''
  if (!url || !secret) {
    throw new ProviderError(
      'The webhook provider needs url and secret in its settings',
      'misconfigured',
      false
    )
  }
  const timeoutMs =
    typeof settings.timeout_ms === 'number' ? settings.timeout_ms : DEFAULT_TIMEOUT_MS
  return { url, secret, timeoutMs }
}

/**
 * The answer's body as JSON or text, after its status says it is one.
 */
async function readReply(response: Response): Promise<unknown> {
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    throw new ProviderError(
      `The webhook answered with a redirect (HTTP ${response.status}), which is not followed: use the final URL`,
      'redirect',
      false
    )
  }
  if (!response.ok) {
    await response.body?.cancel()
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429
    throw new ProviderError(
      `The webhook answered HTTP ${response.status}`,
      `http_${response.status}`,
      retryable
    )
  }

  const type = (response.headers.get('content-type') ?? '').toLowerCase()
  const text = await readBounded(response)
  if (type.includes('json')) {
    try {
      return JSON.parse(text)
    } catch {
      throw new ProviderError('The webhook answered with invalid JSON', 'invalid_reply', false)
    }
  }
  if (type === '' || type.startsWith('text/plain')) return text
  throw new ProviderError(
    `The webhook answered with ${type.split(';')[0]}: expected JSON or text/plain`,
    'invalid_reply',
    false
  )
}

async function readBounded(response: Response) {
  const tooLarge = () =>
    new ProviderError(
      `The webhook reply is larger than ${MAX_REPLY_BYTES / 1024} KB`,
      'reply_too_large',
      false
    )
  if (Number(response.headers.get('content-length')) > MAX_REPLY_BYTES) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (!response.body) return ''

  const reader = response.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_REPLY_BYTES) {
      await reader.cancel()
      throw tooLarge()
    }
    parts.push(value)
  }
  return Buffer.concat(parts).toString('utf8')
}

/**
 * The reply text of `{reply}`, `{text}`, `{message}`, `{output}`, a bare
 * string, or the first item of an array of those (n8n answers with its
 * items); `handoff: true` asks for a human.
 */
function mapReply(body: unknown): MappedReply {
  const mapped = replyOf(Array.isArray(body) ? body.find((item) => replyOf(item)) : body)
  if (!mapped) {
    throw new ProviderError(
      `The webhook reply has none of the fields ${REPLY_FIELDS.join(', ')}`,
      'invalid_reply',
      false
    )
  }
  if (!mapped.text && !mapped.handoff) {
    throw new ProviderError('The webhook returned an empty reply', 'empty_reply', false)
  }
  return mapped
}

function replyOf(value: unknown): MappedReply | null {
  if (typeof value === 'string') return { text: value.trim() || null, handoff: false }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null
  const fields = value as Record<string, unknown>
  const field = REPLY_FIELDS.find((key) => typeof fields[key] === 'string')
  const handoff = fields.handoff === true
  if (!field && !handoff) return null
  return { text: field ? String(fields[field]).trim() || null : null, handoff }
}

/**
 * A ProviderError for whatever the call threw; never the URL (it can hold
 * a token) nor the receiver's body.
 */
function classify(error: unknown, deadline: AbortSignal, callerSignal?: AbortSignal) {
  if (error instanceof ProviderError) return error
  if (deadline.aborted) {
    return new ProviderError('The webhook did not answer in time', 'timeout', true)
  }
  if (callerSignal?.aborted) {
    return new ProviderError('The webhook call was cancelled', 'aborted', true)
  }
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code
  const detail = typeof cause === 'string' && /^[A-Z_]{2,40}$/.test(cause) ? ` (${cause})` : ''
  return new ProviderError(`Could not reach the webhook${detail}`, 'network', true)
}
