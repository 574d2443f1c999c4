/*
| Console: Auth pages (remember me, forgotten password, verification), profile, organization settings
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'

router.group(() => {}).use(web())
