/*
| Console: The organization's audit log
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'

router.group(() => {}).use(web())
