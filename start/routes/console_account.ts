/*
| Console: Auth pages (remember me, forgotten password, verification), profile, organization settings
*/
import router from '@adonisjs/core/services/router'
import { web } from '#start/kernel'
import { ID, guestPage, organizationPage } from '#start/routes/console'
import {
  currentPasswordThrottle,
  mailedTokenThrottle,
  passwordForgotPerEmailThrottle,
  passwordForgotThrottle,
  verificationMailThrottle,
} from '#start/limiter'

const PasswordController = () => import('#controllers/console/password_controller')
const EmailVerificationController = () =>
  import('#controllers/console/email_verification_controller')
const ProfileController = () => import('#controllers/console/profile_controller')

router
  .group(() => {
    // Forgotten password: signed-out people; the mailed link opens /reset-password?token=
    router
      .get('forgot-password', [PasswordController, 'forgot'])
      .as('password.forgot')
      .use(guestPage())
    router
      .post('forgot-password', [PasswordController, 'sendLink'])
      .as('password.send_link')
      .use([...guestPage(), passwordForgotThrottle, passwordForgotPerEmailThrottle])
    router.get('reset-password', [PasswordController, 'edit']).as('password.edit').use(guestPage())
    router
      .post('reset-password', [PasswordController, 'update'])
      .as('password.update')
      .use([...guestPage(), mailedTokenThrottle])

    // Email verification: signed in or not; the link's page confirms with a POST
    router.get('verify-email', [EmailVerificationController, 'show']).as('email.verify')
    router
      .post('verify-email', [EmailVerificationController, 'verify'])
      .as('email.verify.store')
      .use(mailedTokenThrottle)

    // Profile: the signed-in user's own account, sessions and tokens
    router
      .group(() => {
        router.get('profile', [ProfileController, 'show']).as('profile.show')
        router.put('profile', [ProfileController, 'update']).as('profile.update')
        router
          .put('profile/email', [ProfileController, 'updateEmail'])
          .as('profile.email.update')
          .use(currentPasswordThrottle)
        router
          .put('profile/password', [ProfileController, 'updatePassword'])
          .as('profile.password.update')
          .use(currentPasswordThrottle)
        router
          .post('profile/email/verification', [EmailVerificationController, 'send'])
          .as('profile.verification.send')
          .use(verificationMailThrottle)
        router
          .delete('profile/sessions', [ProfileController, 'destroyOtherSessions'])
          .as('profile.sessions.destroy_others')
        router
          .delete('profile/sessions/:id', [ProfileController, 'destroySession'])
          .as('profile.sessions.destroy')
          .where('id', ID)
        router
          .delete('profile/tokens/:id', [ProfileController, 'destroyToken'])
          .as('profile.tokens.destroy')
          .where('id', ID)
      })
      .use(organizationPage())
  })
  .use(web())
