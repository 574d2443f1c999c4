/*
|--------------------------------------------------------------------------
| HTTP kernel file
|--------------------------------------------------------------------------
|
| Server middleware run on every request, including ones that match no
| route; router middleware run on every matched route; named middleware
| are assigned per route group. Sessions, CSRF and the security headers of
| shield belong to the console (`web`) routes only: the API is stateless
| and sets no cookies.
*/
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

server.use([
  () => import('#middleware/request_id_middleware'),
  () => import('#middleware/container_bindings_middleware'),
  () => import('#middleware/public_cors_middleware'),
  () => import('#middleware/static_files_middleware'),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
  () => import('#middleware/initialize_bouncer_middleware'),
])

export const middleware = router.named({
  session: () => import('@adonisjs/session/session_middleware'),
  shield: () => import('@adonisjs/shield/shield_middleware'),
  guest: () => import('#middleware/guest_middleware'),
  auth: () => import('#middleware/auth_middleware'),
  tenant: () => import('#middleware/tenant_middleware'),
  platform: () => import('#middleware/platform_middleware'),
  console: () => import('#middleware/console_middleware'),
  realtime: () => import('#middleware/realtime_middleware'),
})

/**
 * Middleware of every console page, in order.
 */
export const web = () => [middleware.session(), middleware.shield()]
