/*
| Console: The organization's audit log
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, organizationPage } from '#start/routes/console'

const AuditLogsController = () => import('#controllers/console/audit_logs_controller')

router
  .group(() => {
    router.get('audit-logs', [AuditLogsController, 'index']).as('audit_logs.index')
    router.get('audit-logs/export', [AuditLogsController, 'export']).as('audit_logs.export')
    router
      .get('audit-logs/:id', [AuditLogsController, 'show'])
      .as('audit_logs.show')
      .where('id', ID)
  })
  .use([...web(), ...organizationPage()])
