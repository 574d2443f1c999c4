import { randomUUID } from 'node:crypto'
import { request, type IncomingMessage } from 'node:http'
import env from '#start/env'
import { waitFor } from '#tests/helpers/wait_for'

export type SseEvent = { channel: string; payload: Record<string, any> }

/**
 * The test server's base URL (the functional suite starts it on PORT).
 */
export const serverUrl = () => `http://${env.get('HOST')}:${env.get('PORT')}`

/**
 * A Transmit client speaking the wire protocol a browser would: opens
 * `GET /__transmit/events?uid=`, parses `data:` frames, and subscribes
 * channels with `POST /__transmit/subscribe` (with the given headers:
 * `Authorization`, `X-Visitor-Token`, `Origin`, cookies…).
 */
export async function openEventStream(base = serverUrl()) {
  const uid = randomUUID()
  const events: SseEvent[] = []
  let response: IncomingMessage | null = null

  const req = request(`${base}/__transmit/events?uid=${uid}`, {
    headers: { Accept: 'text/event-stream' },
  })
  await new Promise<void>((resolve, reject) => {
    req.once('response', (res) => {
      response = res
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n')
          if (data) events.push(JSON.parse(data))
        }
      })
      resolve()
    })
    req.once('error', reject)
    req.end()
  })

  return {
    uid,
    events,
    get status() {
      return response?.statusCode
    },
    get headers() {
      return response?.headers ?? {}
    },

    /**
     * Subscribes a channel; resolves with the HTTP status (204 when authorized).
     */
    async subscribe(channel: string, headers: Record<string, string> = {}) {
      const res = await fetch(`${base}/__transmit/subscribe`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', ...headers },
        body: JSON.stringify({ uid, channel }),
      })
      await res.arrayBuffer()
      return res.status
    },

    /**
     * The first event matching `match` (waiting for it), payloads only.
     */
    async next(match: (event: SseEvent) => boolean, timeoutMs = 10_000) {
      const found = await waitFor(() => events.find(match), timeoutMs)
      return found!
    },

    close() {
      req.destroy()
    },
  }
}
