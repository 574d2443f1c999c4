/*
|--------------------------------------------------------------------------
| Console route helpers
|--------------------------------------------------------------------------
|
| The middleware every console area shares; each area's routes live in
| their own file beside this one and are imported by start/routes.ts.
*/
import { middleware } from '#start/kernel'

/**
 * Record ids in URLs: 1–18 digits (fits a bigint), cast to a number; any
 * other value matches no route and answers 404.
 */
export const ID = { match: /^\d{1,18}$/, cast: (value: string) => Number(value) }

/**
 * A signed-in console page acting in the organization chosen in the
 * session (a user who has not chosen one is sent to the chooser); the
 * layout's user menu and switcher are shared by `console`.
 */
export const organizationPage = () => [
  middleware.auth({ guards: ['web'] }),
  middleware.tenant({ chooser: true }),
  middleware.console(),
]

/** A signed-in console page of the platform (super-admins; outside any tenant). */
export const platformPage = () => [
  middleware.auth({ guards: ['web'] }),
  middleware.platform(),
  middleware.console(),
]

/** A page for signed-out people (sign in, forgotten password). */
export const guestPage = () => [middleware.guest({ guards: ['web'] })]
