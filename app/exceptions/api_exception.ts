import { Exception } from '@adonisjs/core/exceptions'

/**
 * An error a client can act on, raised by services: it carries the HTTP
 * status and the stable `error_code` the envelope reports, and its message
 * is shown to the user as is (so it must say what to do).
 */
export default class ApiException extends Exception {
  /**
   * Set for refusals that belong in the audit trail (failed logins, bad
   * reset links): the exception handler records them wherever they are
   * thrown, so controllers never catch them just to log.
   */
  audit?: { action: string; changes?: unknown }

  constructor(
    message: string,
    readonly errorCode: string,
    status = 400
  ) {
    super(message, { status, code: errorCode })
  }

  static conflict(message: string, errorCode = 'CONFLICT') {
    return new ApiException(message, errorCode, 409)
  }

  static notFound(message = 'Resource not found') {
    return new ApiException(message, 'NOT_FOUND', 404)
  }

  static forbidden(message = 'You are not allowed to do this') {
    return new ApiException(message, 'FORBIDDEN', 403)
  }
}
