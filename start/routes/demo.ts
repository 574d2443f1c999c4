/*
| Public demo pages: a chatbot's widget on a page of its own (no login)
*/
import router from '@adonisjs/core/services/router'
import { PUBLIC_KEY } from '#validators/public_chat'

const DemoController = () => import('#controllers/demo_controller')

router.get('demo/:key', [DemoController, 'show']).as('demo.show').where('key', PUBLIC_KEY)
