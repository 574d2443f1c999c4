import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import AuthService from '#services/auth_service'
import ConversationService from '#services/conversation_service'

/**
 * Runs after `auth` (and `tenant` when the page has one): shares what the
 * console layout shows on every page — the signed-in user, the current
 * organization, the organizations the switcher offers, and the inbox's
 * count of conversations awaiting a human (for members who may read them).
 */
export default class ConsoleMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const { candidates } = await AuthService.chooseOrganization(ctx.auth.getUserOrFail())
    ctx.view.share({
      currentUser: ctx.auth.user,
      currentOrganization: ctx.tenant?.organization ?? null,
      organizations: candidates.map((membership) => membership.organization),
      inboxAwaiting: ctx.tenant?.can('conversations.view')
        ? await ConversationService.awaitingCount()
        : 0,
    })
    return next()
  }
}
