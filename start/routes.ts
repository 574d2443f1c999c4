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
import { web } from '#start/kernel'
import { healthThrottle } from '#start/limiter'

const HealthController = () => import('#controllers/api/health_controller')

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
