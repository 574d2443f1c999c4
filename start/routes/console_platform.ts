/*
| Console: Platform pages (super-admins): organizations, users, platform audit log
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, platformPage } from '#start/routes/console'

const OrganizationsController = () =>
  import('#controllers/console/platform/organizations_controller')
const UsersController = () => import('#controllers/console/platform/users_controller')
const AuditLogsController = () => import('#controllers/console/platform/audit_logs_controller')

router
  .group(() => {
    router
      .get('organizations', [OrganizationsController, 'index'])
      .as('platform.organizations.index')
    router
      .patch('organizations/:id', [OrganizationsController, 'update'])
      .as('platform.organizations.update')
      .where('id', ID)

    router.get('users', [UsersController, 'index']).as('platform.users.index')
    router
      .patch('users/:id', [UsersController, 'update'])
      .as('platform.users.update')
      .where('id', ID)

    router.get('audit-logs', [AuditLogsController, 'index']).as('platform.audit_logs.index')
    router
      .get('audit-logs/export', [AuditLogsController, 'export'])
      .as('platform.audit_logs.export')
    router
      .get('audit-logs/:id', [AuditLogsController, 'show'])
      .as('platform.audit_logs.show')
      .where('id', ID)
  })
  .prefix('/admin')
  .use([...web(), ...platformPage()])
