import User from '#models/user'
import AccessToken from '#models/access_token'
import ApiException from '#exceptions/api_exception'
import RoleService from '#services/role_service'
import { ALL_ABILITIES } from '#enums/permissions'
import type { Tenant } from '#support/tenant'
import type { AuditedChange } from '#services/audit_service'

type CreateTokenInput = {
  name: string
  abilities?: string[]
  /** Seconds, or `never`; DEFAULT_TOKEN_LIFETIME when absent. */
  expires_in?: number | 'never'
}

export default class TokenService {
  /**
   * Tokens of this organization, newest first: one member's (`userId`), or
   * everyone's when `userId` is null.
   */
  static list(userId: number | null) {
    return AccessToken.query()
      .if(userId !== null, (query) => query.where('user_id', userId!))
      .preload('user')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
  }

  /**
   * A new token of `user` in the tenant's organization. Its abilities must
   * be permissions the creator holds; `*` (whatever the role grants, now
   * and later) only when the creator's own credential is unrestricted: a
   * session, or a token with `*`.
   */
  static async create(
    user: User,
    tenant: Tenant,
    input: CreateTokenInput,
    actingAbilities?: string[]
  ) {
    const abilities = input.abilities ?? [ALL_ABILITIES]
    const wantsAll = abilities.includes(ALL_ABILITIES)
    if (wantsAll && actingAbilities && !actingAbilities.includes(ALL_ABILITIES)) {
      throw new ApiException(
        'Your token is limited to some abilities: list the abilities the new token needs instead of "*".',
        'PRIVILEGE_ESCALATION',
        403
      )
    }
    RoleService.assertHeld(
      abilities.filter((ability) => ability !== ALL_ABILITIES),
      tenant.permissions
    )

    return User.accessTokens.create(user, wantsAll ? [ALL_ABILITIES] : abilities, {
      organizationId: tenant.organization.id,
      name: input.name,
      ...(input.expires_in === 'never' ? { neverExpires: true } : { expiresIn: input.expires_in }),
    })
  }

  /**
   * Revoking deletes the row: the token stops working at once.
   */
  static async revoke(token: AccessToken) {
    await token.delete()
    return {
      action: 'token.revoked',
      subject: { type: 'access_token', id: token.id },
      changes: { name: token.name, user_id: token.userId, abilities: token.abilities },
    } satisfies AuditedChange
  }
}
