/*
|--------------------------------------------------------------------------
| Routes
|--------------------------------------------------------------------------
|
| Every route is named. `/api/*` answers with the JSON envelope; other
| routes render Edge pages.
*/
import router from '@adonisjs/core/services/router'
import app from '@adonisjs/core/services/app'
import { middleware, web } from '#start/kernel'
import { healthThrottle, registerThrottle } from '#start/limiter'

const HealthController = () => import('#controllers/api/health_controller')
const AuthController = () => import('#controllers/api/v1/auth_controller')
const OrganizationController = () => import('#controllers/api/v1/organization_controller')

/*
| Start page
*/
router
  .get('/', ({ view }) =>
    view.render('pages/home', {
      version: app.version?.toString() ?? '0.0.0',
      environment: app.nodeEnvironment,
    })
  )
  .as('home')
  .use(web())

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
  })
  .prefix('/api/v1')
  .as('v1')
  .use([middleware.auth({ guards: ['api'] }), middleware.tenant()])
