/*
| Console: Members and invitations (accepting an invitation is public)
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'

router.group(() => {}).use(web())
