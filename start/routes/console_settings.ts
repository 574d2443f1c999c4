/*
| Console: organization settings and the owners' danger zone
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { organizationPage } from '#start/routes/console'

const SettingsController = () => import('#controllers/console/settings_controller')

router
  .group(() => {
    router
      .group(() => {
        router.get('settings', [SettingsController, 'edit']).as('settings.edit')
        router.put('settings', [SettingsController, 'update']).as('settings.update')
        router.delete('organization', [SettingsController, 'destroy']).as('organization.destroy')
      })
      .use(organizationPage())
  })
  .use(web())
