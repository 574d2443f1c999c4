import vine from '@vinejs/vine'
import { ALL_PERMISSIONS, isPermission } from '#enums/permissions'

const knownPermission = vine.createRule((value, _, field) => {
  if (typeof value === 'string' && !isPermission(value)) {
    field.report(
      `"${value}" is not a permission (GET /api/v1/permissions lists them)`,
      'permission',
      field
    )
  }
})

const roleName = () => vine.string().trim().minLength(2).maxLength(100)

const roleDescription = () => vine.string().trim().maxLength(500).nullable()

const rolePermissions = () =>
  vine
    .array(vine.string().trim().maxLength(64).use(knownPermission()))
    .minLength(1)
    .maxLength(ALL_PERMISSIONS.length)
    .distinct()

export const createRoleValidator = vine.compile(
  vine.object({
    name: roleName(),
    description: roleDescription().optional(),
    permissions: rolePermissions(),
  })
)

export const updateRoleValidator = vine.compile(
  vine.object({
    name: roleName().optional(),
    description: roleDescription().optional(),
    permissions: rolePermissions().optional(),
  })
)
