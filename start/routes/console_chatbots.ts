/*
| Console: the chatbot studio (settings, knowledge, playground)
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, organizationPage } from '#start/routes/console'

const ChatbotsController = () => import('#controllers/console/chatbots_controller')
const KnowledgeController = () => import('#controllers/console/knowledge_controller')
const PlaygroundController = () => import('#controllers/console/playground_controller')

router
  .group(() => {
    router
      .group(() => {
        router.get('chatbots', [ChatbotsController, 'index']).as('chatbots.index')
        router.get('chatbots/create', [ChatbotsController, 'create']).as('chatbots.create')
        router.post('chatbots', [ChatbotsController, 'store']).as('chatbots.store')

        router
          .group(() => {
            // Settings, embed snippet, connection test
            router.get('chatbots/:id', [ChatbotsController, 'edit']).as('chatbots.edit')
            router.put('chatbots/:id', [ChatbotsController, 'update']).as('chatbots.update')
            router.delete('chatbots/:id', [ChatbotsController, 'destroy']).as('chatbots.destroy')
            router
              .post('chatbots/:id/duplicate', [ChatbotsController, 'duplicate'])
              .as('chatbots.duplicate')
            router
              .post('chatbots/:id/test', [ChatbotsController, 'testConnection'])
              .as('chatbots.test')

            // Knowledge; `sources` is the fragment htmx polls while indexing
            router
              .get('chatbots/:id/knowledge', [KnowledgeController, 'index'])
              .as('chatbots.knowledge.index')
            router
              .get('chatbots/:id/knowledge/sources', [KnowledgeController, 'sources'])
              .as('chatbots.knowledge.sources')
            router
              .post('chatbots/:id/knowledge', [KnowledgeController, 'store'])
              .as('chatbots.knowledge.store')
            router
              .get('chatbots/:id/knowledge/:sourceId/edit', [KnowledgeController, 'edit'])
              .as('chatbots.knowledge.edit')
              .where('sourceId', ID)
            router
              .put('chatbots/:id/knowledge/:sourceId', [KnowledgeController, 'update'])
              .as('chatbots.knowledge.update')
              .where('sourceId', ID)
            router
              .delete('chatbots/:id/knowledge/:sourceId', [KnowledgeController, 'destroy'])
              .as('chatbots.knowledge.destroy')
              .where('sourceId', ID)
            router
              .post('chatbots/:id/knowledge/:sourceId/reindex', [KnowledgeController, 'reindex'])
              .as('chatbots.knowledge.reindex')
              .where('sourceId', ID)

            // Chat with the bot through the real pipeline
            router
              .get('chatbots/:id/playground', [PlaygroundController, 'show'])
              .as('chatbots.playground')
            router
              .post('chatbots/:id/playground', [PlaygroundController, 'store'])
              .as('chatbots.playground.store')
          })
          .where('id', ID)
      })
      .use(organizationPage())
  })
  .use(web())
