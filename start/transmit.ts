/*
|--------------------------------------------------------------------------
| Real-time channels (server-sent events)
|--------------------------------------------------------------------------
|
| `GET /__transmit/events?uid=` opens a stream; `POST /__transmit/subscribe`
| {uid, channel} adds a channel to it once authorized below. Members are
| recognized by API token or console session (realtime middleware);
| visitors by their conversation's visitor token (`X-Visitor-Token`,
| `Authorization: Bearer vt_…` or a `visitor_token` field). See RealtimeService for the events.
*/
import transmit from '@adonisjs/transmit/services/main'
import type { HttpContext } from '@adonisjs/core/http'
import { middleware } from '#start/kernel'
import Conversation from '#models/conversation'
import PublicChatService, { visitorTokenOf } from '#services/public_chat_service'
import { TenantContext } from '#support/tenant_context'

transmit.registerRoutes((route) => {
  // The stream itself needs no identity: it only carries what its uid was
  // authorized to subscribe to.
  if (route.getPattern().endsWith('__transmit/events')) return
  route.use([middleware.session(), middleware.realtime()])
})

const ID = /^\d{1,18}$/

/**
 * Whether the acting member may read the conversations of an organization.
 */
function memberMayRead(ctx: HttpContext, organizationId: number) {
  return (
    Boolean(ctx.tenant) &&
    Number(ctx.tenant!.organization.id) === organizationId &&
    ctx.tenant!.can('conversations.view')
  )
}

transmit.authorize<{ id: string }>('conversations/:id', async (ctx, { id }) => {
  if (!ID.test(id) || !ctx.tenant || !ctx.tenant.can('conversations.view')) return false
  const conversation = await TenantContext.run(ctx.tenant.organization.id, () =>
    Conversation.find(id)
  )
  return Boolean(conversation)
})

transmit.authorize<{ id: string }>('organizations/:id/conversations', (ctx, { id }) => {
  return ID.test(id) && memberMayRead(ctx, Number(id))
})

// The same check as the public chat API's (deleted and draft chatbots refused).
transmit.authorize<{ id: string }>('visitors/conversations/:id', async (ctx, { id }) => {
  const token = visitorTokenOf(ctx)
  if (!ID.test(id) || !token) return false
  return PublicChatService.authenticate(id, token).then(
    () => true,
    () => false
  )
})
