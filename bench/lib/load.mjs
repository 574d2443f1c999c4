/**
 * Load generation with autocannon (in this process), latencies collected
 * per response so any percentile can be quoted, not only autocannon's.
 */
import http from 'node:http'
import autocannon from 'autocannon'

/** The value below which `p` percent of the sorted samples fall (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** { p50, p95, p99, max, mean } of a list of numbers (any order). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort()
  const mean = sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : NaN
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean,
  }
}

/**
 * One load run. opts: url (with path), method, headers, body,
 * connections (10), duration in s (10), rate = requests/s for the whole
 * run (fixed-rate, see fixedRateRun; omit for as fast as possible, with
 * autocannon), warmup in s (1: a short autocannon run first whose numbers
 * are dropped).
 * Returns { rps, p50, p95, p99, max, mean, total, errors, timeouts, non2xx, statuses }
 * (latencies in ms).
 */
export async function autocannonRun(opts) {
  const {
    url,
    method = 'GET',
    headers = {},
    body,
    connections = 10,
    duration = 10,
    rate,
    warmup = 1,
    setupRequest,
  } = opts
  const base = {
    url,
    method,
    headers,
    body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
    connections,
    timeout: 10,
    ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
  }
  if (warmup > 0) await autocannon({ ...base, duration: warmup })
  if (rate) return fixedRateRun({ ...base, rate, duration, setupRequest })

  const latencies = []
  const statuses = {}
  const instance = autocannon({ ...base, duration })
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime)
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
  })
  const result = await instance
  const completed = latencies.length
  return {
    rps: completed / (result.duration || duration),
    ...summarize(latencies),
    total: completed,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
  }
}

/**
 * One request with the query log asked for: { status, queries (X-Query-Count,
 * null when the server sends none), log: [{ sql, bindings }] }.
 */
export async function queriesOf(url, init = {}) {
  const headers = { ...init.headers, 'x-query-log': '1' }
  const response = await fetch(url, { redirect: 'manual', ...init, headers })
  await response.arrayBuffer()
  const count = response.headers.get('x-query-count')
  const log = response.headers.get('x-query-log')
  return {
    status: response.status,
    queries: count === null ? null : Number(count),
    log: log ? JSON.parse(Buffer.from(log, 'base64url').toString('utf8')) : [],
  }
}

/** A query's SQL on one line, at most `width` characters. */
export const shortSql = (sql, width = 110) => {
  const line = sql.replace(/\s+/g, ' ').trim()
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate and
 * sent then on one of `connections` keep-alive sockets, whatever the
 * answers before it did; its latency runs from when it was due (so a
 * server that falls behind is charged for the wait: no coordinated
 * omission). autocannon's `overallRate` cannot do this: each connection
 * sends its share of a second back to back at the start of that second,
 * so "200 req/s over 20 connections" is a burst of 200 every second and
 * the latencies measure the burst.
 */
export async function fixedRateRun({
  url,
  method = 'GET',
  headers = {},
  body,
  rate,
  duration,
  connections = 10,
  timeout = 10,
  setupRequest,
}) {
  const target = new URL(url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const interval = 1000 / rate
  const count = Math.round(rate * duration)
  const latencies = []
  const statuses = {}
  let errors = 0
  let timeouts = 0
  let non2xx = 0

  const send = (dueAt) =>
    new Promise((resolve) => {
      const payload = setupRequest ? setupRequest({ method, headers, body }).body : body
      const request = http.request(
        target,
        {
          method,
          agent,
          headers: {
            ...headers,
            ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: timeout * 1000,
        },
        (response) => {
          response.resume()
          response.on('end', () => {
            latencies.push(performance.now() - dueAt)
            statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
            if (response.statusCode < 200 || response.statusCode > 299) non2xx++
            resolve()
          })
        }
      )
      request.on('timeout', () => {
        timeouts++
        request.destroy(new Error('timeout'))
      })
      request.on('error', () => {
        errors++
        resolve()
      })
      request.end(payload)
    })

  const started = performance.now()
  const inFlight = []
  for (let index = 0; index < count; index++) {
    const dueAt = started + index * interval
    const wait = dueAt - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    inFlight.push(send(dueAt))
  }
  await Promise.all(inFlight)
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  return {
    rps: latencies.length / elapsed,
    ...summarize(latencies),
    total: latencies.length,
    errors,
    timeouts,
    non2xx,
    statuses,
  }
}
