import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai'
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions'
import type Chatbot from '#models/chatbot'
import KnowledgeSearch from '#services/knowledge_search'
import { ProviderType } from '#enums/chatbots'
import {
  ProviderError,
  type ChatProvider,
  type ChatReply,
  type ChatRequest,
  type ChatTurn,
  type RetrievedChunk,
} from '#providers/chat/types'

const DEFAULT_TIMEOUT_MS = 60_000
const KNOWLEDGE_LIMIT = 5
const MAX_CHUNK_CHARS = 2_000
const MAX_KNOWLEDGE_CHARS = 6_000
const MAX_HISTORY_TURNS = 20
const MAX_TURN_CHARS = 4_000
const MAX_HISTORY_CHARS = 12_000

/** Statuses worth another attempt: request timeout, lock conflict, rate limit (5xx are checked apart). */
const RETRYABLE_STATUSES = new Set([408, 409, 429])

type Settings = {
  baseURL: string
  model: string
  apiKey: string
  stream: boolean
  timeoutMs: number
}
type Params = Omit<ChatCompletionCreateParamsNonStreaming, 'stream'>
type Answer = { content: string; promptTokens: number | null; completionTokens: number | null }

/**
 * Answers with any OpenAI-compatible chat completions API (OpenAI, Azure's
 * compatible endpoint, Ollama, vLLM…): the chatbot's system prompt, the
 * best knowledge chunks as context, the recent history and the message.
 * Streams by default, handing each piece of text to `onDelta`. Never
 * retries itself: the pipeline does, from `ProviderError.retryable`.
 */
export default class OpenAIProvider implements ChatProvider {
  readonly usesHistory = true

  async reply(request: ChatRequest): Promise<ChatReply> {
    const settings = settingsOf(request.chatbot)
    const found = await KnowledgeSearch.search(
      request.chatbot.id,
      request.message.content,
      KNOWLEDGE_LIMIT
    )
    const { context, chunks } = knowledgeContext(found)

    const client = new OpenAI({
      apiKey: settings.apiKey,
      baseURL: settings.baseURL,
      maxRetries: 0,
      timeout: settings.timeoutMs,
      // Never pick up the server's own OPENAI_* variables for a tenant's endpoint.
      organization: null,
      project: null,
      adminAPIKey: null,
      // A redirect could carry the key to another host: refused (3xx is permanent).
      fetchOptions: { redirect: 'manual' },
    })
    const params: Params = {
      model: settings.model,
      temperature: request.chatbot.temperature,
      max_tokens: request.chatbot.maxReplyTokens,
      messages: [
        // One system message: several of them are refused by some chat templates.
        { role: 'system', content: `${systemPromptOf(request.chatbot)}\n\n${context}` },
        ...dialogue(request.history, request.message.content),
      ],
    }
    // The SDK's timeout stops at the response headers; this one also bounds a streamed body.
    const deadline = AbortSignal.timeout(settings.timeoutMs)
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline

    let answer: Answer
    try {
      answer = settings.stream
        ? await streamed(client, params, signal, request.onDelta)
        : await complete(client, params, signal)
    } catch (error) {
      throw classify(error, deadline, request.signal)
    }
    // An aborted stream ends quietly in the SDK, with whatever text had arrived.
    if (signal.aborted) throw classify(new APIUserAbortError(), deadline, request.signal)
    const content = answer.content.trim()
    if (!content) throw new ProviderError('The model returned an empty reply', 'empty_reply', false)

    return { ...answer, content, provider: ProviderType.OpenAI, chunks }
  }
}

async function complete(client: OpenAI, params: Params, signal: AbortSignal): Promise<Answer> {
  const completion = await client.chat.completions.create({ ...params, stream: false }, { signal })
  return {
    content: completion.choices?.[0]?.message?.content ?? '',
    promptTokens: completion.usage?.prompt_tokens ?? null,
    completionTokens: completion.usage?.completion_tokens ?? null,
  }
}

async function streamed(
  client: OpenAI,
  params: Params,
  signal: AbortSignal,
  onDelta?: (text: string) => void
): Promise<Answer> {
  const stream = await client.chat.completions.create(
    { ...params, stream: true, stream_options: { include_usage: true } },
    { signal }
  )
  const answer: Answer = { content: '', promptTokens: null, completionTokens: null }
  for await (const chunk of stream) {
    const delta = chunk.choices?.[0]?.delta?.content
    if (delta) {
      answer.content += delta
      onDelta?.(delta)
    }
    if (chunk.usage) {
      answer.promptTokens = chunk.usage.prompt_tokens ?? null
      answer.completionTokens = chunk.usage.completion_tokens ?? null
    }
  }
  return answer
}

function settingsOf(chatbot: Chatbot): Settings {
  const settings = chatbot.providerSettings ?? {}
  const text = (key: string) => (typeof settings[key] === 'string' ? String(settings[key]) : '')
  const resolved = {
    baseURL: text('base_url'),
    model: text('model'),
    apiKey: text('api_key'),
    stream: settings.stream !== false,
    timeoutMs: typeof settings.timeout_ms === 'number' ? settings.timeout_ms : DEFAULT_TIMEOUT_MS,
  }
  if (!resolved.baseURL || !resolved.model || !resolved.apiKey) {
    throw new ProviderError(
      'The openai provider needs base_url, model and api_key in its settings',
      'misconfigured',
      false
    )
  }
  return resolved
}

function systemPromptOf(chatbot: Chatbot) {
  return (
    chatbot.systemPrompt?.trim() ||
    `You are ${chatbot.name}, a customer support assistant. Answer briefly and accurately, in the ` +
      `customer's language. Use the knowledge base excerpts when they answer the question; when ` +
      `you do not know, say so and offer to connect the customer with a member of the team.`
  )
}

/**
 * The retrieved chunks as one numbered context block, best first, cut to
 * a budget; `chunks` are those that made it in (what the reply used).
 */
function knowledgeContext(found: RetrievedChunk[]) {
  const chunks: RetrievedChunk[] = []
  const parts: string[] = []
  let used = 0
  for (const chunk of found) {
    const title = [chunk.sourceTitle, chunk.heading].filter(Boolean).join(' — ')
    const part = `[${chunks.length + 1}] ${title}\n${truncate(chunk.content.trim(), MAX_CHUNK_CHARS)}`
    if (used + part.length > MAX_KNOWLEDGE_CHARS) break
    chunks.push(chunk)
    parts.push(part)
    used += part.length
  }
  const context =
    parts.length > 0
      ? `Knowledge base excerpts, best match first:\n\n${parts.join('\n\n')}`
      : 'No knowledge base excerpt matches this message.'
  return { context, chunks }
}

/**
 * The most recent turns that fit the budget, then the message, as a
 * dialogue that starts with the user and alternates: strict chat templates
 * (Mistral or Llama 2 served by vLLM) refuse anything else. A team
 * member's replies speak as the assistant, system notes are left out, and
 * consecutive turns of one side are joined.
 */
function dialogue(history: ChatTurn[], message: string) {
  const turns: { role: 'user' | 'assistant'; content: string }[] = []
  let used = 0
  for (const turn of history
    .filter((item) => item.role !== 'system')
    .slice(-MAX_HISTORY_TURNS)
    .reverse()) {
    const content = truncate(turn.content, MAX_TURN_CHARS)
    if (used + content.length > MAX_HISTORY_CHARS) break
    used += content.length
    turns.unshift({ role: turn.role === 'user' ? 'user' : 'assistant', content })
  }
  turns.push({ role: 'user', content: message })
  while (turns[0].role !== 'user') turns.shift()

  const messages: typeof turns = []
  for (const turn of turns) {
    const last = messages.at(-1)
    if (last?.role === turn.role) last.content += `\n\n${turn.content}`
    else messages.push({ ...turn })
  }
  return messages
}

function truncate(text: string, max: number) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * A ProviderError for whatever the call threw. Messages carry a status and
 * the API's error code at most: never its body (which can echo the key).
 */
function classify(error: unknown, deadline: AbortSignal, callerSignal?: AbortSignal) {
  if (error instanceof ProviderError) return error
  if (deadline.aborted || error instanceof APIConnectionTimeoutError) {
    return new ProviderError('The model did not answer in time', 'timeout', true)
  }
  if (callerSignal?.aborted || error instanceof APIUserAbortError) {
    return new ProviderError('The request to the model was cancelled', 'aborted', true)
  }
  if (error instanceof APIConnectionError) {
    return new ProviderError('Could not reach the model API', 'network', true)
  }
  if (error instanceof APIError) {
    const code =
      typeof error.code === 'string' && /^[\w.-]{1,64}$/.test(error.code) ? error.code : null
    const suffix = code ? ` (${code})` : ''
    // A stream can carry an error event without a status: the server failed mid-answer.
    if (error.status === undefined) {
      return new ProviderError(
        `The model API failed while answering${suffix}`,
        'stream_error',
        true
      )
    }
    const retryable = error.status >= 500 || RETRYABLE_STATUSES.has(error.status)
    return new ProviderError(
      `The model API answered HTTP ${error.status}${suffix}`,
      `http_${error.status}`,
      retryable
    )
  }
  if (error instanceof SyntaxError) {
    return new ProviderError(
      'The model API sent a reply that could not be read',
      'invalid_reply',
      false
    )
  }
  // Anything else comes from the connection breaking while the stream was read.
  return new ProviderError('The connection to the model API broke', 'network', true)
}
