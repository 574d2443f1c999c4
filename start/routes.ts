/*
|--------------------------------------------------------------------------
| Routes
|--------------------------------------------------------------------------
|
| Every route is named. `/api/*` answers with the JSON envelope; other
| routes render Edge pages.
*/
import router from '@adonisjs/core/services/router'
import env from '#start/env'
import { middleware, web } from '#start/kernel'
import { ID } from '#start/routes/console'
import { healthThrottle, publicConversationThrottle, registerThrottle } from '#start/limiter'
import { PUBLIC_KEY } from '#validators/public_chat'
import {
  mailedTokenThrottle,
  passwordForgotPerEmailThrottle,
  passwordForgotThrottle,
  verificationMailThrottle,
} from '#start/limiter'

const HealthController = () => import('#controllers/api/health_controller')
const SessionController = () => import('#controllers/session_controller')
const ConsoleSessionController = () => import('#controllers/console/session_controller')
const ConsoleOrganizationsController = () => import('#controllers/console/organizations_controller')
const DashboardController = () => import('#controllers/console/dashboard_controller')
const AuthController = () => import('#controllers/api/v1/auth_controller')
const PasswordController = () => import('#controllers/api/v1/password_controller')
const EmailVerificationController = () =>
  import('#controllers/api/v1/email_verification_controller')
const OrganizationController = () => import('#controllers/api/v1/organization_controller')
const AuditLogsController = () => import('#controllers/api/v1/audit_logs_controller')
const MembersController = () => import('#controllers/api/v1/members_controller')
const InvitationsController = () => import('#controllers/api/v1/invitations_controller')
const AdminOrganizationsController = () =>
  import('#controllers/api/v1/admin_organizations_controller')
const AdminQueuesController = () => import('#controllers/api/v1/admin_queues_controller')
const PermissionsController = () => import('#controllers/api/v1/permissions_controller')
const RolesController = () => import('#controllers/api/v1/roles_controller')
const TokensController = () => import('#controllers/api/v1/tokens_controller')
const ChatbotsController = () => import('#controllers/api/v1/chatbots_controller')
const KnowledgeController = () => import('#controllers/api/v1/knowledge_controller')
const ChatbotMessagesController = () => import('#controllers/api/v1/chatbot_messages_controller')
const ConversationsController = () => import('#controllers/api/v1/conversations_controller')
const PublicChatController = () => import('#controllers/api/v1/public_chat_controller')

/*
| Console pages (session, CSRF; guests are sent to /login)
*/
router
  .group(() => {
    router
      .get('login', [ConsoleSessionController, 'create'])
      .as('login')
      .use(middleware.guest({ guards: ['web'] }))
    router
      .post('login', [ConsoleSessionController, 'store'])
      .as('login.store')
      .use(middleware.guest({ guards: ['web'] }))
    router
      .post('logout', [ConsoleSessionController, 'destroy'])
      .as('logout')
      .use(middleware.auth({ guards: ['web'] }))
    router
      .get('organizations/choose', [ConsoleOrganizationsController, 'choose'])
      .as('organizations.choose')
      .use([middleware.auth({ guards: ['web'] }), middleware.console()])
    router
      .get('/', [DashboardController, 'index'])
      .as('dashboard')
      .use([
        middleware.auth({ guards: ['web'] }),
        middleware.tenant({ chooser: true }),
        middleware.console(),
      ])
  })
  .use(web())

/*
| Console areas, one file each (start/routes/console_*.ts)
*/
import '#start/routes/console_account'
import '#start/routes/console_settings'
import '#start/routes/console_members'
import '#start/routes/console_access'
import '#start/routes/console_audit'
import '#start/routes/console_inbox'
import '#start/routes/console_platform'
import '#start/routes/console_chatbots'
// The page hosting a chatbot's widget for visitors to try.
import '#start/routes/demo'

/*
| Operations: liveness and readiness (no auth; details need HEALTH_TOKEN)
*/
router
  .group(() => {
    router.get('ping', [HealthController, 'ping']).as('ping')
    router.get('health', [HealthController, 'show']).as('show').use(healthThrottle)
  })
  .prefix('/api')
  .as('health')

/*
| API v1: authentication (public, throttled in AuthService and per route)
*/
router
  .group(() => {
    router.post('login', [AuthController, 'login']).as('login')
    router.post('register', [AuthController, 'register']).as('register').use(registerThrottle)
    router
      .post('logout', [AuthController, 'logout'])
      .as('logout')
      .use(middleware.auth({ guards: ['api'] }))
    router
      .get('me', [AuthController, 'me'])
      .as('me')
      .use([middleware.auth({ guards: ['api'] }), middleware.tenant()])

    // Password reset and email verification: mailed single-use links
    router
      .post('password/forgot', [PasswordController, 'forgot'])
      .as('password.forgot')
      .use([passwordForgotThrottle, passwordForgotPerEmailThrottle])
    router
      .post('password/reset', [PasswordController, 'reset'])
      .as('password.reset')
      .use(mailedTokenThrottle)
    router
      .post('email/verification', [EmailVerificationController, 'send'])
      .as('email.verification')
      .use([middleware.auth({ guards: ['api'] }), verificationMailThrottle])
    router
      .post('email/verify', [EmailVerificationController, 'verify'])
      .as('email.verify')
      .use(mailedTokenThrottle)
  })
  .prefix('/api/v1/auth')
  .as('auth')

/*
| API v1: the current organization's resources (token auth, tenant-scoped)
*/
router
  .group(() => {
    router.get('organization', [OrganizationController, 'show']).as('organization.show')
    router.patch('organization', [OrganizationController, 'update']).as('organization.update')
    router.delete('organization', [OrganizationController, 'destroy']).as('organization.destroy')

    router.get('users', [MembersController, 'index']).as('users.index')
    router.post('users', [MembersController, 'store']).as('users.store')
    router
      .group(() => {
        router.get('users/:id', [MembersController, 'show']).as('users.show')
        router.patch('users/:id', [MembersController, 'update']).as('users.update')
        router.delete('users/:id', [MembersController, 'destroy']).as('users.destroy')
        router
          .delete('invitations/:id', [InvitationsController, 'destroy'])
          .as('invitations.destroy')
      })
      .where('id', ID)

    router.get('invitations', [InvitationsController, 'index']).as('invitations.index')
    router.post('invitations', [InvitationsController, 'store']).as('invitations.store')

    router.get('audit-logs', [AuditLogsController, 'index']).as('audit_logs.index')
    router
      .get('audit-logs/:id', [AuditLogsController, 'show'])
      .as('audit_logs.show')
      .where('id', ID)

    // Roles and API tokens; ids up to 18 digits always fit a bigint.
    router.get('permissions', [PermissionsController, 'index']).as('permissions.index')
    router.get('roles', [RolesController, 'index']).as('roles.index')
    router.post('roles', [RolesController, 'store']).as('roles.store')
    router.get('tokens', [TokensController, 'index']).as('tokens.index')
    router.post('tokens', [TokensController, 'store']).as('tokens.store')
    router
      .group(() => {
        router.patch('roles/:id', [RolesController, 'update']).as('roles.update')
        router.delete('roles/:id', [RolesController, 'destroy']).as('roles.destroy')
        router.delete('tokens/:id', [TokensController, 'destroy']).as('tokens.destroy')
      })
      .where('id', ID)

    // Chatbots
    router.get('chatbots', [ChatbotsController, 'index']).as('chatbots.index')
    router.post('chatbots', [ChatbotsController, 'store']).as('chatbots.store')
    router
      .group(() => {
        router.get('chatbots/:id', [ChatbotsController, 'show']).as('chatbots.show')
        router.patch('chatbots/:id', [ChatbotsController, 'update']).as('chatbots.update')
        router.delete('chatbots/:id', [ChatbotsController, 'destroy']).as('chatbots.destroy')
        router
          .post('chatbots/:id/duplicate', [ChatbotsController, 'duplicate'])
          .as('chatbots.duplicate')
        router.post('chatbots/:id/test', [ChatbotsController, 'testConnection']).as('chatbots.test')

        // Knowledge of a chatbot
        router
          .get('chatbots/:id/knowledge', [KnowledgeController, 'index'])
          .as('chatbots.knowledge.index')
        router
          .post('chatbots/:id/knowledge', [KnowledgeController, 'store'])
          .as('chatbots.knowledge.store')
        router
          .get('chatbots/:id/knowledge/:sourceId', [KnowledgeController, 'show'])
          .as('chatbots.knowledge.show')
        router
          .patch('chatbots/:id/knowledge/:sourceId', [KnowledgeController, 'update'])
          .as('chatbots.knowledge.update')
        router
          .delete('chatbots/:id/knowledge/:sourceId', [KnowledgeController, 'destroy'])
          .as('chatbots.knowledge.destroy')
        router
          .post('chatbots/:id/knowledge/:sourceId/reindex', [KnowledgeController, 'reindex'])
          .as('chatbots.knowledge.reindex')

        // A user's message to a chatbot, answered through the pipeline
        router
          .post('chatbots/:id/messages', [ChatbotMessagesController, 'store'])
          .as('chatbots.messages.store')
      })
      .where('id', ID)
      .where('sourceId', ID)

    // Conversations
    router.get('conversations', [ConversationsController, 'index']).as('conversations.index')
    router
      .group(() => {
        router.get('conversations/:id', [ConversationsController, 'show']).as('conversations.show')
        router
          .patch('conversations/:id', [ConversationsController, 'update'])
          .as('conversations.update')
        router
          .post('conversations/:id/messages', [ConversationsController, 'reply'])
          .as('conversations.messages.store')
        router
          .post('conversations/:id/notes', [ConversationsController, 'note'])
          .as('conversations.notes.store')
      })
      .where('id', ID)
  })
  .prefix('/api/v1')
  .as('v1')
  .use([middleware.auth({ guards: ['api'] }), middleware.tenant()])

/*
| API v1: accepting an invitation (public; the mailed secret is the credential)
*/
router
  .post('/api/v1/invitations/:token/accept', [InvitationsController, 'accept'])
  .as('v1.invitations.accept')
  .where('token', /^[A-Za-z0-9_-]{20,100}$/)
  .use(registerThrottle)

/*
| API v1: public chat for the widget and custom front ends (no account: the
| chatbot's public key, then the conversation's visitor token; CORS per
| chatbot in PublicCorsMiddleware; limits in start/limiter.ts)
*/
router
  .group(() => {
    router
      .post('chatbots/:key/conversations', [PublicChatController, 'start'])
      .as('conversations.store')
      .where('key', PUBLIC_KEY)
      .use(publicConversationThrottle)
    router
      .group(() => {
        router
          .get('conversations/:id/messages', [PublicChatController, 'index'])
          .as('messages.index')
        router
          .post('conversations/:id/messages', [PublicChatController, 'store'])
          .as('messages.store')
      })
      .where('id', ID)
  })
  .prefix('/api/v1/public')
  .as('v1.public')

/*
| API v1: platform administration (super-admin tokens; outside any tenant)
*/
router
  .group(() => {
    router.get('organizations', [AdminOrganizationsController, 'index']).as('organizations.index')
    router
      .patch('organizations/:id', [AdminOrganizationsController, 'update'])
      .as('organizations.update')
      .where('id', ID)

    // Queue monitor: the fixed paths come before `queues/:name`.
    router.get('queues', [AdminQueuesController, 'index']).as('queues.index')
    router
      .get('queues/organizations', [AdminQueuesController, 'organizations'])
      .as('queues.organizations')
    router.get('queues/workers', [AdminQueuesController, 'workers']).as('queues.workers')
    router.get('queues/:name', [AdminQueuesController, 'show']).as('queues.show')
    router.get('queues/:name/jobs', [AdminQueuesController, 'jobs']).as('queues.jobs.index')
    router.get('queues/:name/jobs/:id', [AdminQueuesController, 'job']).as('queues.jobs.show')
    router
      .post('queues/:name/jobs/:id/retry', [AdminQueuesController, 'retryJob'])
      .as('queues.jobs.retry')
    router
      .delete('queues/:name/jobs/:id', [AdminQueuesController, 'destroyJob'])
      .as('queues.jobs.destroy')
    router
      .post('queues/:name/retry-failed', [AdminQueuesController, 'retryFailed'])
      .as('queues.retry_failed')
    router.post('queues/:name/pause', [AdminQueuesController, 'pause']).as('queues.pause')
    router.post('queues/:name/resume', [AdminQueuesController, 'resume']).as('queues.resume')
  })
  .prefix('/api/v1/admin')
  .as('v1.admin')
  .use([middleware.auth({ guards: ['api'] }), middleware.platform()])

/*
| Console session (JSON for now; the console pages use the same routes)
*/
router
  .group(() => {
    router.post('login', [SessionController, 'store']).as('login')
    router
      .post('logout', [SessionController, 'destroy'])
      .as('logout')
      .use(middleware.auth({ guards: ['web'] }))
    router
      .post('organization', [SessionController, 'switchOrganization'])
      .as('organization')
      .use(middleware.auth({ guards: ['web'] }))
    router
      .get('session', [SessionController, 'show'])
      .as('show')
      .use([middleware.auth({ guards: ['web'] }), middleware.tenant()])
  })
  .prefix('/auth')
  .as('session')
  .use(web())

// Benchmark-only routes and query counter (bench/README.md)
if (env.get('BENCH_ROUTES')) await import('#start/routes/bench')
