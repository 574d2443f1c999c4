/*
| Console: Members and invitations (accepting an invitation is public)
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { registerThrottle } from '#start/limiter'
import { ID, organizationPage } from '#start/routes/console'

const MembersController = () => import('#controllers/console/members_controller')
const InvitationsController = () => import('#controllers/console/invitations_controller')

router
  .group(() => {
    // The organization's members and pending invitations
    router
      .group(() => {
        router.get('members', [MembersController, 'index']).as('members.index')
        router.post('members', [MembersController, 'store']).as('members.store')
        router.get('invitations', [InvitationsController, 'index']).as('invitations.index')
        router
          .group(() => {
            router.patch('members/:id', [MembersController, 'update']).as('members.update')
            router.delete('members/:id', [MembersController, 'destroy']).as('members.destroy')
            router
              .post('invitations/:id/resend', [InvitationsController, 'resend'])
              .as('invitations.resend')
            router
              .delete('invitations/:id', [InvitationsController, 'destroy'])
              .as('invitations.destroy')
          })
          .where('id', ID)
      })
      .use(organizationPage())

    // Public: the mailed secret is the credential (throttled like the API route)
    router.get('invitations/accept', [InvitationsController, 'show']).as('invitations.accept')
    router
      .post('invitations/accept', [InvitationsController, 'accept'])
      .as('invitations.accept.store')
      .use(registerThrottle)
  })
  .use(web())
