/**
 * The permission catalogue. Roles grant subsets of it; a token's abilities
 * narrow its user's role further. Adding a permission here makes it
 * available to custom roles and to the built-in roles that match it.
 */
export const PERMISSIONS = {
  'organization.manage': 'Change the organization’s name and settings',
  'organization.delete': 'Delete the organization',
  'members.view': 'See members and invitations',
  'members.manage': 'Invite, change roles of, disable and remove members',
  'roles.manage': 'Create, change and delete custom roles',
  'tokens.manage': 'See and revoke every member’s API tokens (anyone may manage their own)',
  'audit.view': 'Read the audit log',
  'chatbots.view': 'See chatbots and their knowledge',
  'chatbots.manage': 'Create, configure, train and delete chatbots',
  'conversations.view': 'Read conversations',
  'conversations.reply': 'Reply to conversations and take them over',
  'billing.manage': 'Manage the plan, payment method and invoices',
} as const

export type Permission = keyof typeof PERMISSIONS

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[]

/**
 * The token ability that stands for "every permission of the user's role".
 */
export const ALL_ABILITIES = '*'

export enum SystemRole {
  Owner = 'owner',
  Admin = 'admin',
  Agent = 'agent',
  Viewer = 'viewer',
}

/**
 * Permissions of the built-in roles, derived from the catalogue so a new
 * permission reaches them without a migration.
 */
export const SYSTEM_ROLE_PERMISSIONS: Record<SystemRole, Permission[]> = {
  [SystemRole.Owner]: ALL_PERMISSIONS,
  [SystemRole.Admin]: ALL_PERMISSIONS.filter(
    (permission) => !['billing.manage', 'organization.delete'].includes(permission)
  ),
  [SystemRole.Agent]: ['chatbots.view', 'conversations.view', 'conversations.reply'],
  [SystemRole.Viewer]: ALL_PERMISSIONS.filter((permission) => permission.endsWith('.view')),
}

export function isPermission(value: string): value is Permission {
  return value in PERMISSIONS
}
