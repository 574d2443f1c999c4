/*
| Console: Platform pages (super-admins): organizations, users, platform audit log
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'

router.group(() => {}).use(web())
