/*
| Console: Roles and API tokens
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, organizationPage } from '#start/routes/console'

const RolesController = () => import('#controllers/console/roles_controller')
const TokensController = () => import('#controllers/console/tokens_controller')

router
  .group(() => {
    router
      .group(() => {
        // Built-in roles (read-only) and custom roles with their permissions
        router.get('roles', [RolesController, 'index']).as('roles.index')
        router.get('roles/create', [RolesController, 'create']).as('roles.create')
        router.post('roles', [RolesController, 'store']).as('roles.store')

        // The member's API tokens (everyone's with tokens.manage)
        router.get('tokens', [TokensController, 'index']).as('tokens.index')
        router.post('tokens', [TokensController, 'store']).as('tokens.store')

        router
          .group(() => {
            router.get('roles/:id', [RolesController, 'show']).as('roles.show')
            router.get('roles/:id/edit', [RolesController, 'edit']).as('roles.edit')
            router.put('roles/:id', [RolesController, 'update']).as('roles.update')
            router.delete('roles/:id', [RolesController, 'destroy']).as('roles.destroy')
            router.delete('tokens/:id', [TokensController, 'destroy']).as('tokens.destroy')
          })
          .where('id', ID)
      })
      .use(organizationPage())
  })
  .use(web())
