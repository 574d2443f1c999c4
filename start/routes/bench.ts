/*
| Benchmark routes (bench/): registered only when BENCH_ROUTES=true. The
| query counter answers `X-Query-Count` on every request of such a server.
*/
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import { middleware } from '#start/kernel'
import { ID } from '#start/routes/console'

const BenchController = () => import('#controllers/bench_controller')

server.use([() => import('#middleware/query_count_middleware')])

router
  .group(() => {
    // Only the middleware every route gets (start/kernel.ts): the floor of the stack.
    router.get('bare', [BenchController, 'bare']).as('bare')

    // The audit cost: one mutation, with and without successWithLog.
    router
      .group(() => {
        router.patch('chatbots/:id/plain', [BenchController, 'updatePlain']).as('plain')
        router.patch('chatbots/:id/logged', [BenchController, 'updateLogged']).as('logged')
      })
      .as('chatbots')
      .where('id', ID)
      .use([middleware.auth({ guards: ['api'] }), middleware.tenant()])
  })
  .prefix('/bench')
  .as('bench')
