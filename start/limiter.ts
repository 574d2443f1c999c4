/*
|--------------------------------------------------------------------------
| HTTP throttles
|--------------------------------------------------------------------------
|
| Named rate limits applied per route group; over the limit a request
| answers 429 TOO_MANY_REQUESTS with Retry-After.
*/
import limiter from '@adonisjs/limiter/services/main'

/**
 * /api/health touches the database, Redis and the disk: generous for
 * monitors, bounded against abuse (per client ip).
 */
export const healthThrottle = limiter.define('health', () =>
  limiter.allowRequests(120).every('1 minute')
)

/**
 * Sign-ups per client ip.
 */
export const registerThrottle = limiter.define('register', (ctx) =>
  limiter
    .allowRequests(10)
    .every('1 hour')
    .blockFor('1 hour')
    .usingKey(`register:${ctx.request.ip()}`)
)

/**
 * "Forgot password" requests, per client ip and per email (whether or not
 * it belongs to an account, so the limit reveals nothing): each sends mail.
 */
export const passwordForgotThrottle = limiter.define('passwordForgot', (ctx) =>
  limiter.allowRequests(5).every('15 minutes').usingKey(`password-forgot:ip:${ctx.request.ip()}`)
)

export const passwordForgotPerEmailThrottle = limiter.define('passwordForgotEmail', (ctx) => {
  const email = ctx.request.input('email')
  if (typeof email !== 'string') return limiter.noLimit()
  return limiter
    .allowRequests(3)
    .every('1 hour')
    .usingKey(`password-forgot:email:${email.trim().toLowerCase().slice(0, 254)}`)
})

/**
 * Redeeming mailed secrets (password reset, email verification) per client
 * ip: the secrets cannot be guessed, this keeps anyone from trying.
 */
export const mailedTokenThrottle = limiter.define('mailedToken', (ctx) =>
  limiter.allowRequests(20).every('15 minutes').usingKey(`mailed-token:ip:${ctx.request.ip()}`)
)

/**
 * Verification mails a signed-in user asks for (route after `auth`).
 */
export const verificationMailThrottle = limiter.define('verificationMail', (ctx) =>
  limiter
    .allowRequests(3)
    .every('15 minutes')
    .usingKey(`verification-mail:user:${ctx.auth.user?.id ?? ctx.request.ip()}`)
)

/**
 * Changes that check the current password (profile email and password): a
 * stolen session must not become a way to guess the password.
 */
export const currentPasswordThrottle = limiter.define('currentPassword', (ctx) =>
  limiter
    .allowRequests(10)
    .every('15 minutes')
    .blockFor('15 minutes')
    .usingKey(`current-password:user:${ctx.auth.user?.id ?? ctx.request.ip()}`)
)

/**
 * The public chat API (widget), per minute: starting conversations per
 * client ip and per chatbot, messages per visitor (conversation) and per
 * chatbot, reads of the transcript per visitor. The README documents them.
 */
export const PUBLIC_CHAT_LIMITS = {
  conversationsPerIp: 10,
  conversationsPerChatbot: 300,
  messagesPerVisitor: 20,
  messagesPerChatbot: 600,
  readsPerVisitor: 120,
} as const

export const publicConversationThrottle = limiter.define('publicConversations', (ctx) =>
  limiter
    .allowRequests(PUBLIC_CHAT_LIMITS.conversationsPerIp)
    .every('1 minute')
    .usingKey(`public-chat:conversations:ip:${ctx.request.ip()}`)
)

/**
 * Spends one of the public chat API's per-minute allowances of a chatbot
 * or conversation (`id`); once spent it throws E_TOO_MANY_REQUESTS (429
 * with Retry-After). Used by PublicChatService, which knows those ids only
 * after loading them.
 */
export function consumePublicChatLimit(
  name: Exclude<keyof typeof PUBLIC_CHAT_LIMITS, 'conversationsPerIp'>,
  id: number
) {
  return limiter
    .use({ requests: PUBLIC_CHAT_LIMITS[name], duration: '1 minute' })
    .consume(`public-chat:${name}:${id}`)
}
