/*
| Console: Platform pages (super-admins): organizations, users, platform audit log, queue monitor
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, platformPage } from '#start/routes/console'

const OrganizationsController = () =>
  import('#controllers/console/platform/organizations_controller')
const UsersController = () => import('#controllers/console/platform/users_controller')
const AuditLogsController = () => import('#controllers/console/platform/audit_logs_controller')
const QueuesController = () => import('#controllers/console/platform/queues_controller')

/** Queue names (checked against the configured queues by the service) and BullMQ job ids. */
const QUEUE = { match: /^[a-z][a-z0-9_-]{0,49}$/ }
const JOB_ID = { match: /^[A-Za-z0-9:_-]{1,200}$/ }

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

    // Queue monitor
    router.get('queues', [QueuesController, 'index']).as('platform.queues.index')
    router
      .group(() => {
        router.get('/', [QueuesController, 'show']).as('platform.queues.show')
        router.post('pause', [QueuesController, 'pause']).as('platform.queues.pause')
        router.post('resume', [QueuesController, 'resume']).as('platform.queues.resume')
        router
          .post('retry-failed', [QueuesController, 'retryFailed'])
          .as('platform.queues.retry_failed')
        router.get('jobs/:id', [QueuesController, 'job']).as('platform.queues.job')
        router
          .post('jobs/:id/retry', [QueuesController, 'retryJob'])
          .as('platform.queues.jobs.retry')
        router
          .delete('jobs/:id', [QueuesController, 'destroyJob'])
          .as('platform.queues.jobs.destroy')
      })
      .prefix('queues/:name')
      .where('name', QUEUE)
      .where('id', JOB_ID)
  })
  .prefix('/admin')
  .use([...web(), ...platformPage()])
