import type Chatbot from '#models/chatbot'
import type { ProviderType } from '#enums/chatbots'

/**
 * One earlier message of the conversation, oldest first. `agent` turns are
 * a human team member's replies; providers treat them as the assistant's.
 */
export type ChatTurn = { role: 'user' | 'assistant' | 'agent' | 'system'; content: string }

/**
 * A knowledge chunk found for a question, best first. `score` is the
 * retrieval's own rank (higher is better), comparable within one search.
 */
export type RetrievedChunk = {
  id: number
  sourceId: number
  sourceTitle: string
  heading: string | null
  content: string
  score: number
}

/**
 * What a provider is asked to answer: the chatbot (with its decrypted
 * settings), the user's message, where it was said and by whom, and the
 * recent history. `onDelta` receives streamed text as it arrives.
 */
export type ChatRequest = {
  chatbot: Chatbot
  message: { id: number; content: string; createdAt: string }
  conversation: { id: number; channel: string; status: string }
  contact: {
    id: number
    externalId: string | null
    name: string | null
    email: string | null
    metadata: Record<string, unknown>
  }
  history: ChatTurn[]
  onDelta?: (text: string) => void
  signal?: AbortSignal
}

/**
 * A provider's answer. `fallback` is set when the provider had no confident
 * answer and replied with the chatbot's fallback message (the pipeline then
 * offers a handoff to a human). `handoff` is set when the provider asks for
 * a human to take the conversation over (a webhook's `handoff: true`).
 */
export type ChatReply = {
  content: string
  provider: ProviderType
  chunks: RetrievedChunk[]
  confidence?: number | null
  fallback?: boolean
  handoff?: boolean
  promptTokens?: number | null
  completionTokens?: number | null
}

export interface ChatProvider {
  /** Whether it reads `history`: the pipeline skips that query for a provider that does not. */
  readonly usesHistory: boolean
  reply(request: ChatRequest): Promise<ChatReply>
}

/**
 * A provider call that failed. `retryable` errors (timeouts, connection
 * errors, 429 and 5xx answers) are retried by the pipeline; permanent ones
 * (bad credentials, 4xx, a reply that cannot be read) go straight to the
 * fallback. The message never contains a secret nor the provider's raw
 * answer body, because it is stored on the message and in the audit log.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean
  ) {
    super(message)
    this.name = 'ProviderError'
  }
}

/**
 * The reply used when a chatbot has no fallback message of its own.
 */
export const DEFAULT_FALLBACK_MESSAGE =
  "Sorry, I don't have an answer to that yet. A member of our team can take over: just ask for a human."

export function fallbackMessageOf(chatbot: Chatbot) {
  return chatbot.fallbackMessage?.trim() || DEFAULT_FALLBACK_MESSAGE
}
