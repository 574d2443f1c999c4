import type User from '#models/user'
import type { Tenant } from '#support/tenant'
import type { OrganizationAccessToken } from '#support/organization_tokens_provider'

/**
 * The shapes the API returns for identity objects, in one place.
 */
export function presentUser(user: User) {
  return { ...user.serialize(), is_super_admin: user.isSuperAdmin }
}

export function presentMembership(tenant: Tenant) {
  return {
    organization: tenant.organization.serialize(),
    role: { id: tenant.role.id, slug: tenant.role.slug, name: tenant.role.name },
    permissions: [...tenant.permissions],
  }
}

/**
 * The plain token value appears here, once, at creation.
 */
export function presentNewToken(token: OrganizationAccessToken) {
  return {
    id: token.identifier,
    type: 'bearer',
    value: token.value!.release(),
    name: token.name,
    abilities: token.abilities,
    expires_at: token.expiresAt?.toISOString() ?? null,
  }
}
