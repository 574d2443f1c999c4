/*
| Console: Roles and API tokens
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'

router.group(() => {}).use(web())
