import type { HttpContext } from '@adonisjs/core/http'

/**
 * Picking the organization the console acts in; the choice is posted to
 * the session's organization route.
 */
export default class OrganizationsController {
  /** The user's organizations, one button each (shared by the console middleware). */
  async choose({ view }: HttpContext) {
    return view.render('pages/organizations/choose')
  }
}
