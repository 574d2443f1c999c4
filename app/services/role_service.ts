import { DateTime } from 'luxon'
import string from '@adonisjs/core/helpers/string'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Role from '#models/role'
import Membership from '#models/membership'
import Invitation from '#models/invitation'
import Organization from '#models/organization'
import ApiException from '#exceptions/api_exception'
import { ALL_PERMISSIONS, PERMISSIONS, isPermission, type Permission } from '#enums/permissions'
import { MissingTenantError, TenantContext } from '#support/tenant_context'
import { AuthCache } from '#support/auth_cache'

type CreateRoleInput = { name: string; description?: string | null; permissions: string[] }
type UpdateRoleInput = Partial<CreateRoleInput>

export type RoleSnapshot = { name: string; description: string | null; permissions: Permission[] }

/**
 * Catalogue permissions among `values`, in catalogue order, so responses
 * and audit snapshots compare cleanly.
 */
export function sortPermissions(values: Iterable<string>): Permission[] {
  const wanted = new Set(values)
  return ALL_PERMISSIONS.filter((permission) => wanted.has(permission))
}

const FOREIGN_KEY_VIOLATION = new Set(['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'])

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`

/**
 * Custom roles of the current organization. Built-in roles are read-only;
 * nobody grants a permission they do not hold themselves.
 */
export default class RoleService {
  /**
   * The permission catalogue grouped by area (`members.view` → `members`).
   */
  static catalogue() {
    const areas = new Map<string, { key: Permission; description: string }[]>()
    for (const key of ALL_PERMISSIONS) {
      const area = key.split('.')[0]
      areas.set(area, [...(areas.get(area) ?? []), { key, description: PERMISSIONS[key] }])
    }
    return [...areas].map(([area, permissions]) => ({ area, permissions }))
  }

  /**
   * The privilege-escalation guard of roles and tokens: every requested
   * permission must be one the actor holds (role ∩ token abilities).
   */
  static assertHeld(requested: Iterable<string>, held: ReadonlySet<Permission>) {
    const missing = [...requested].filter((value) => !isPermission(value) || !held.has(value))
    if (missing.length > 0) {
      throw new ApiException(
        `You cannot grant permissions you do not have yourself: ${missing.join(', ')}.`,
        'PRIVILEGE_ESCALATION',
        403
      )
    }
  }

  /**
   * Built-in roles first, then this organization's custom roles, with
   * their grants.
   */
  static list() {
    return Role.query().preload('grants').orderBy('is_system', 'desc').orderBy('id', 'asc')
  }

  /**
   * One role visible to this organization (built-in or its own) with its
   * grants; 404 for another organization's.
   */
  static find(id: number | string) {
    return Role.query().where('id', id).preload('grants').firstOrFail()
  }

  /**
   * How many members of this organization hold each role, by role id.
   */
  static async memberCounts() {
    const rows = await Membership.query().select('role_id').count('* as total').groupBy('role_id')
    return new Map(rows.map((row) => [Number(row.roleId), Number(row.$extras.total)]))
  }

  static snapshot(role: Role): RoleSnapshot {
    return {
      name: role.name,
      description: role.description,
      permissions: sortPermissions(role.permissions),
    }
  }

  static async create(input: CreateRoleInput, held: ReadonlySet<Permission>) {
    const permissions = sortPermissions(input.permissions)
    this.assertHeld(permissions, held)

    return db.transaction(async (trx) => {
      await this.lockRoles(trx)
      await this.assertNameFree(input.name, trx)
      const role = await Role.create(
        {
          name: input.name,
          slug: await this.uniqueSlug(input.name, trx),
          description: input.description || null,
          isSystem: false,
        },
        { client: trx }
      )
      await role.related('grants').createMany(permissions.map((permission) => ({ permission })))
      await role.load('grants')
      return role
    })
  }

  /**
   * Renames a custom role, changes its description and/or replaces its
   * permissions. Only added permissions must be held by the actor: keeping
   * one they lack is not granting it. The slug stays as it was.
   */
  static async update(id: number | string, input: UpdateRoleInput, held: ReadonlySet<Permission>) {
    return db.transaction(async (trx) => {
      await this.lockRoles(trx)
      const role = await this.findEditable(id, trx)
      const before = this.snapshot(role)

      const permissions = input.permissions
        ? sortPermissions(input.permissions)
        : before.permissions
      this.assertHeld(
        permissions.filter((permission) => !before.permissions.includes(permission)),
        held
      )
      if (input.name !== undefined) await this.assertNameFree(input.name, trx, role.id)

      role.merge({
        name: input.name ?? role.name,
        description: input.description === undefined ? role.description : input.description || null,
      })
      if (permissions.join() !== before.permissions.join()) {
        await role.related('grants').query().delete()
        await AuthCache.invalidate(trx)
        await role.related('grants').createMany(permissions.map((permission) => ({ permission })))
        role.updatedAt = DateTime.utc()
      }
      await role.save()
      await role.load('grants')
      return { role, before, after: this.snapshot(role) }
    })
  }

  /**
   * Deletes a custom role nobody holds or is invited to. Accepted
   * invitations only record history: they go with the role.
   */
  static async delete(id: number | string) {
    try {
      return await db.transaction(async (trx) => {
        await this.lockRoles(trx)
        const role = await this.findEditable(id, trx)
        await this.assertUnused(role, trx)
        await Invitation.query({ client: trx })
          .where('role_id', role.id)
          .whereNotNull('accepted_at')
          .delete()
        await role.related('grants').query().delete()
        await role.delete()
        return { id: role.id, slug: role.slug, ...this.snapshot(role) }
      })
    } catch (error) {
      // A member or invitation given the role while we deleted it.
      if (FOREIGN_KEY_VIOLATION.has((error as { code?: string }).code ?? '')) {
        throw this.inUse('a member or an invitation')
      }
      throw error
    }
  }

  /**
   * A custom role of this organization (404 for unknown ids and other
   * organizations' roles; 403 for built-in roles).
   */
  protected static async findEditable(id: number | string, trx: TransactionClientContract) {
    const role = await Role.query({ client: trx }).where('id', id).preload('grants').firstOrFail()
    if (role.isSystem) {
      throw new ApiException(
        'Built-in roles cannot be changed or deleted: create a custom role instead.',
        'SYSTEM_ROLE_READ_ONLY',
        403
      )
    }
    return role
  }

  protected static async assertUnused(role: Role, trx: TransactionClientContract) {
    const [members] = await Membership.query({ client: trx })
      .where('role_id', role.id)
      .count('* as total')
    const [invitations] = await Invitation.query({ client: trx })
      .where('role_id', role.id)
      .whereNull('accepted_at')
      .count('* as total')
    const holders = [
      plural(Number(members.$extras.total), 'member'),
      plural(Number(invitations.$extras.total), 'pending invitation'),
    ].filter((count) => !count.startsWith('0 '))
    if (holders.length > 0) throw this.inUse(holders.join(' and '))
  }

  protected static inUse(holders: string) {
    return ApiException.conflict(
      `This role is used by ${holders}: give those members another role and revoke those invitations first.`,
      'ROLE_IN_USE'
    )
  }

  /**
   * Names are unique per organization, case-insensitively, built-in role
   * names included.
   */
  protected static async assertNameFree(
    name: string,
    trx: TransactionClientContract,
    exceptId?: number
  ) {
    const taken = await Role.query({ client: trx })
      .whereRaw('lower(name) = ?', [name.toLowerCase()])
      .if(exceptId, (query) => query.whereNot('id', exceptId!))
      .first()
    if (taken) {
      throw ApiException.conflict(
        `A role named "${taken.name}" already exists: choose another name.`,
        'ROLE_NAME_TAKEN'
      )
    }
  }

  /**
   * `support-lead`, or `support-lead-2`… when a role of this organization
   * (or a built-in one) has it.
   */
  protected static async uniqueSlug(name: string, trx: TransactionClientContract) {
    const base = string.slug(name, { lower: true, strict: true }).slice(0, 56) || 'role'
    const rows = await Role.query({ client: trx })
      .where((query) => query.where('slug', base).orWhereLike('slug', `${base}-%`))
      .select('slug')
    const taken = new Set(rows.map((row) => row.slug))
    let slug = base
    for (let suffix = 2; taken.has(slug); suffix++) slug = `${base}-${suffix}`
    return slug
  }

  /**
   * Role writes of one organization take turns (a row lock on it): the
   * case-insensitive name check has no unique index to rely on. SQLite has
   * a single writer and ignores the lock.
   */
  protected static async lockRoles(trx: TransactionClientContract) {
    const organizationId = TenantContext.currentId()
    if (organizationId === null) throw new MissingTenantError('Role')
    await Organization.query({ client: trx }).where('id', organizationId).forUpdate().firstOrFail()
  }
}
