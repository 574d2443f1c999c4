/*
|--------------------------------------------------------------------------
| Edge globals
|--------------------------------------------------------------------------
|
| Small display helpers every console page may use; logic stays in services.
*/
import edge from 'edge.js'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'

/**
 * edge.js 6 lists the components directories from disk each time a
 * renderer is made — on every request, since the auth initializer shares
 * `auth` with `ctx.view` — even with template caching on: its components
 * plugin decides to recur from the options the shared instance was built
 * with, not from `configure({ cache })`. That was ~5% of an API request's
 * CPU (bench/README.md). Where templates are cached (production), the
 * components cannot change either: list them once.
 */
if (app.inProduction) {
  const listComponents = edge.loader.listComponents.bind(edge.loader)
  let components: ReturnType<typeof listComponents> | undefined
  edge.loader.listComponents = () => (components ??= listComponents())
}

type DateLike = DateTime | Date | string | null | undefined

function toDateTime(value: DateLike) {
  if (!value) return null
  if (DateTime.isDateTime(value)) return value
  if (value instanceof Date) return DateTime.fromJSDate(value)
  return DateTime.fromISO(value)
}

/**
 * `path?query` with `overrides` applied to the current query; empty values
 * are dropped so filter links stay short.
 */
export function withQuery(
  path: string,
  query: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {}
) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries({ ...query, ...overrides })) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const search = params.toString()
  return search ? `${path}?${search}` : path
}

edge.global('withQuery', withQuery)

/** `2026-11-23 14:05 UTC`, or an em dash for no date. */
edge.global('formatDate', (value: DateLike) => {
  const date = toDateTime(value)
  return date?.isValid ? date.toUTC().toFormat("yyyy-LL-dd HH:mm 'UTC'") : '—'
})

/** `3 hours ago`, or `never`. */
edge.global('relativeDate', (value: DateLike) => {
  const date = toDateTime(value)
  return date?.isValid ? (date.toRelative() ?? '—') : 'never'
})

/**
 * The Tabler colour of a status badge: green for healthy states, yellow for
 * waiting ones, red for stopped or failed ones.
 */
edge.global('statusColor', (status: string | null | undefined) => {
  switch (status) {
    case 'active':
    case 'success':
    case 'accepted':
    case 'delivered':
      return 'green'
    case 'pending':
    case 'invited':
    case 'processing':
      return 'yellow'
    case 'disabled':
    case 'suspended':
    case 'revoked':
    case 'expired':
    case 'error':
    case 'failed':
      return 'red'
    default:
      return 'secondary'
  }
})
