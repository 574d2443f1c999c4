import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/** A call the fake webhook received. */
export type FakeWebhookRequest = {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The body exactly as received (what the signature covers). */
  rawBody: string
  /** The parsed JSON body (undefined when it is not JSON). */
  body: any
  /** Whether `X-Parley-Signature` matches the secret, body and a fresh timestamp. */
  signatureValid: boolean
}

/**
 * An answer: `json` is sent as application/json, `text` as text/plain
 * (unless `headers` set another content type, e.g. to send broken JSON).
 */
export type FakeWebhookResponse = {
  status?: number
  json?: unknown
  text?: string
  headers?: Record<string, string>
}

export type FakeWebhook = {
  /** The URL for `provider_settings.url`. */
  url: string
  /** Every call, oldest first (failed ones too). */
  requests: FakeWebhookRequest[]
  /** Sets the answer to the calls to come; a function sees each call. */
  respondWith(
    response: FakeWebhookResponse | ((request: FakeWebhookRequest) => FakeWebhookResponse)
  ): void
  /** The next `count` calls fail with `failure` (a status, default 500, or a dropped connection). */
  failNext(count: number, failure?: number | 'disconnect'): void
  /** Waits `ms` before answering each call (0 to stop). */
  delay(ms: number): void
  /** Forgets the calls, failures, delay and reply set so far (between tests). */
  reset(): void
  close(): Promise<void>
}

const DEFAULT_RESPONSE: FakeWebhookResponse = { json: { reply: 'Hello from the webhook.' } }

/**
 * A local HTTP workflow endpoint (what n8n's Webhook node is to Parley):
 * records each call's raw body and headers, checks its signature the way a
 * receiver must — independently of Parley's own helper, so a bug there
 * cannot hide itself — and answers `{reply: 'Hello from the webhook.'}`
 * unless told otherwise.
 */
export async function startFakeWebhook(options: { secret: string }): Promise<FakeWebhook> {
  const requests: FakeWebhookRequest[] = []
  const failures: (number | 'disconnect')[] = []
  let response: Parameters<FakeWebhook['respondWith']>[0] = DEFAULT_RESPONSE
  let delayMs = 0

  const server = createServer(async (req, res) => {
    let rawBody = ''
    for await (const chunk of req) rawBody += chunk
    let body: any
    try {
      body = JSON.parse(rawBody)
    } catch {
      body = undefined
    }
    const request: FakeWebhookRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      rawBody,
      body,
      signatureValid: isSigned(options.secret, req.headers, rawBody),
    }
    requests.push(request)

    if (delayMs > 0) await sleep(delayMs)
    if (res.destroyed) return

    const failure = failures.shift()
    if (failure === 'disconnect') return req.socket.destroy()
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'text/plain' })
      return res.end(`Workflow failed (status ${failure})`)
    }

    const answer = typeof response === 'function' ? response(request) : response
    const json = answer.json !== undefined
    res.writeHead(answer.status ?? 200, {
      'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
      ...answer.headers,
    })
    res.end(json ? JSON.stringify(answer.json) : (answer.text ?? ''))
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  return {
    url: `http://127.0.0.1:${port}/webhook/parley`,
    requests,
    respondWith(next) {
      response = next
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
      response = DEFAULT_RESPONSE
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * `X-Parley-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`
 * with `X-Parley-Timestamp` within five minutes.
 */
function isSigned(secret: string, headers: IncomingHttpHeaders, rawBody: string) {
  const timestamp = String(headers['x-parley-timestamp'] ?? '')
  const signature = String(headers['x-parley-signature'] ?? '')
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
    return false
  }
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`
  )
  const given = Buffer.from(signature)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
