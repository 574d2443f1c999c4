/*
| Console: the inbox (conversations, transcripts, human handoff)
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, organizationPage } from '#start/routes/console'

const ConversationsController = () => import('#controllers/console/conversations_controller')

router
  .group(() => {
    router.get('conversations', [ConversationsController, 'index']).as('conversations.index')
    router
      .group(() => {
        router.get('conversations/:id', [ConversationsController, 'show']).as('conversations.show')
        router
          .patch('conversations/:id', [ConversationsController, 'update'])
          .as('conversations.update')
        router
          .post('conversations/:id/take-over', [ConversationsController, 'takeOver'])
          .as('conversations.take_over')
        router
          .post('conversations/:id/messages', [ConversationsController, 'reply'])
          .as('conversations.messages.store')
        router
          .post('conversations/:id/notes', [ConversationsController, 'note'])
          .as('conversations.notes.store')
      })
      .where('id', ID)
  })
  .use([...web(), ...organizationPage()])
