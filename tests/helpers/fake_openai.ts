import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/** A chat completions call the fake received. */
export type FakeOpenAIRequest = {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The parsed JSON body: `model`, `messages`, `temperature`, `max_tokens`, `stream`… */
  body: any
}

/** What the fake model answers. */
export type FakeCompletion = {
  content: string
  /** How a streamed reply is cut into deltas (default: word by word, spaces kept). */
  deltas?: string[]
  /** Pause between streamed deltas, to test time-outs in the middle of a stream. */
  deltaDelayMs?: number
  promptTokens?: number
  completionTokens?: number
}

/** An HTTP status answered with an OpenAI error body, or a connection closed without answer. */
export type FakeOpenAIFailure = number | 'disconnect'

export type FakeOpenAI = {
  /** The base URL for `provider_settings.base_url` (ends with `/v1`). */
  url: string
  /** Every chat completions call, oldest first (failed ones too). */
  requests: FakeOpenAIRequest[]
  /** Sets the reply of the calls to come; a function sees each call. */
  respondWith(
    reply: string | FakeCompletion | ((request: FakeOpenAIRequest) => string | FakeCompletion)
  ): void
  /** The next `count` calls fail with `failure` (default 500), then replies resume. */
  failNext(count: number, failure?: FakeOpenAIFailure): void
  /** Waits `ms` before answering each call (0 to stop). */
  delay(ms: number): void
  /** Forgets the calls, failures, delay and reply set so far (between tests). */
  reset(): void
  close(): Promise<void>
}

const DEFAULT_REPLY = 'Hello from the fake model.'

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: '' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'Unknown model' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached' },
  503: { type: 'server_error', code: 'overloaded', message: 'The engine is overloaded' },
}

/**
 * A local server speaking OpenAI's chat completions protocol
 * (`POST /v1/chat/completions`): a `chat.completion` JSON answer, or with
 * `stream: true` server-sent `chat.completion.chunk` events ending with
 * `data: [DONE]` (and a usage chunk when `stream_options.include_usage`).
 * Errors come as `{error: {message, type, param, code}}`; on purpose their
 * message echoes the bearer key received, as a careless server would, so
 * tests can prove Parley never passes it on. With `apiKey`, a call with
 * another key gets a 401 like the real API.
 */
export async function startFakeOpenAI(options: { apiKey?: string } = {}): Promise<FakeOpenAI> {
  const requests: FakeOpenAIRequest[] = []
  const failures: FakeOpenAIFailure[] = []
  let reply: Parameters<FakeOpenAI['respondWith']>[0] = DEFAULT_REPLY
  let delayMs = 0
  let sequence = 0

  const server = createServer(async (req, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, 404, 'Unknown endpoint', 'unknown_url')
    }

    let body: any
    try {
      body = JSON.parse(raw)
    } catch {
      return sendError(res, 400, 'We could not parse the JSON body of your request.')
    }
    const request = { method: req.method, path, headers: req.headers, body }
    requests.push(request)

    if (delayMs > 0) await sleep(delayMs)
    if (res.destroyed) return

    const key = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
    const failure = failures.shift()
    if (failure === 'disconnect') return req.socket.destroy()
    if (failure !== undefined) {
      const known = ERRORS[failure] ?? { type: 'server_error', code: null, message: 'Server error' }
      return sendError(res, failure, `${known.message} (key: ${key})`, known.code, known.type)
    }
    if (options.apiKey !== undefined && key !== options.apiKey) {
      return sendError(res, 401, `Incorrect API key provided: ${key}`, 'invalid_api_key')
    }

    const answer = typeof reply === 'function' ? reply(request) : reply
    const completion = typeof answer === 'string' ? { content: answer } : answer
    const id = `chatcmpl-fake${++sequence}`
    const usage = usageOf(body, completion)
    if (body.stream === true) {
      await stream(res, id, body, completion, body.stream_options?.include_usage ? usage : null)
    } else {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: completion.content, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage,
      })
    }
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    respondWith(next) {
      reply = next
    },
    failNext(count, failure = 500) {
      for (let index = 0; index < count; index++) failures.push(failure)
    },
    delay(ms) {
      delayMs = ms
    },
    reset() {
      requests.length = 0
      failures.length = 0
      delayMs = 0
      reply = DEFAULT_REPLY
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function usageOf(body: any, completion: FakeCompletion) {
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length
  const promptTokens =
    completion.promptTokens ??
    (body.messages ?? []).reduce(
      (sum: number, message: { content?: unknown }) => sum + words(String(message.content ?? '')),
      0
    )
  const completionTokens = completion.completionTokens ?? words(completion.content)
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
}

async function stream(
  res: ServerResponse,
  id: string,
  body: any,
  completion: FakeCompletion,
  usage: ReturnType<typeof usageOf> | null
) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const created = Math.floor(Date.now() / 1000)
  const chunk = (choices: unknown[], chunkUsage: unknown = null) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        system_fingerprint: null,
        choices,
        ...(usage && { usage: chunkUsage }),
      })}\n\n`
    )
  const choice = (delta: object, finishReason: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  })

  chunk([choice({ role: 'assistant', content: '' })])
  for (const delta of completion.deltas ?? completion.content.match(/\s*\S+\s*/g) ?? []) {
    if (completion.deltaDelayMs) await sleep(completion.deltaDelayMs)
    if (res.destroyed) return
    chunk([choice({ content: delta })])
  }
  chunk([choice({}, 'stop')])
  if (usage) chunk([], usage)
  res.end('data: [DONE]\n\n')
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: string | null = null,
  type = 'invalid_request_error'
) {
  sendJson(res, status, { error: { message, type, param: null, code } })
}

function sendJson(res: ServerResponse, status: number, payload: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(payload))
}
