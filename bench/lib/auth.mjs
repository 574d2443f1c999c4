import { Redis } from 'ioredis'

/**
 * Signing in the way clients do: an API token from POST /api/v1/auth/login,
 * and a console session from the login form (CSRF token and cookies, as a
 * browser would), reused as a Cookie header.
 */

/**
 * Empties the web process's auth cache the way the app does on any change
 * to tokens, users, organizations, memberships or roles (app/support/auth_cache.ts):
 * the next request reads identity and tenant from the database again.
 */
export async function flushAuthCache(env) {
  const redis = new Redis({
    host: env.REDIS_HOST ?? '127.0.0.1',
    port: Number(env.REDIS_PORT ?? 6379),
    password: env.REDIS_PASSWORD || undefined,
    db: Number(env.REDIS_DB ?? 0),
  })
  try {
    await redis.publish(`parley:auth-cache:flush:${Number(env.REDIS_DB ?? 0)}`, 'bench')
  } finally {
    redis.disconnect()
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
}

/** The `name=value` pairs of a response's Set-Cookie headers, merged into `jar`. */
function collectCookies(response, jar) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const index = pair.indexOf('=')
    const name = pair.slice(0, index).trim()
    const value = pair.slice(index + 1).trim()
    // An expired or emptied cookie is dropped, as a browser would.
    if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
  return jar
}

const cookieHeader = (jar) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')

/** A bearer token of `email` for its organization: { token, body }. */
export async function apiLogin(url, { email, password }) {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept': 'application/json' },
    body: JSON.stringify({ email, password }),
  })
  const body = await response.json()
  if (!response.ok)
    throw new Error(`API login of ${email} failed: ${response.status} ${body.message}`)
  return { token: body.data.token.value, body }
}

/** Signs in through the console's login form; returns the Cookie header of the session. */
export async function consoleLogin(url, { email, password }) {
  const jar = new Map()
  const form = await fetch(`${url}/login`, { redirect: 'manual' })
  collectCookies(form, jar)
  const html = await form.text()
  const csrf = /name=['"]_csrf['"]\s+value=['"]([^'"]+)['"]/.exec(html)?.[1]
  if (!csrf) throw new Error(`no CSRF field on ${url}/login (status ${form.status})`)

  const response = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'cookie': cookieHeader(jar),
    },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
  })
  collectCookies(response, jar)
  const location = response.headers.get('location') ?? ''
  if (response.status !== 302 || location.endsWith('/login')) {
    throw new Error(`console login of ${email} failed: ${response.status} → ${location}`)
  }
  return cookieHeader(jar)
}
