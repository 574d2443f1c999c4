import { defineConfig } from '@adonisjs/core/bodyparser'

/**
 * Body limits are deliberately modest: chat messages and console forms are
 * small; file uploads (knowledge files) have their own multipart limit.
 * A body over the limit answers 413 PAYLOAD_TOO_LARGE.
 */
const bodyParserConfig = defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],

  form: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: ['application/x-www-form-urlencoded'],
  },

  json: {
    convertEmptyStringsToNull: true,
    limit: '1mb',
    types: [
      'application/json',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/csp-report',
    ],
  },

  /**
   * The whole multipart body: room for the largest upload (knowledge
   * files, 2 MB, refused with a 422 above that by their validator) and its
   * fields. Files are streamed to the OS temp directory, so this also
   * bounds the disk a request can fill.
   */
  multipart: {
    autoProcess: true,
    convertEmptyStringsToNull: true,
    processManually: [],
    limit: '4mb',
    types: ['multipart/form-data'],
  },
})

export default bodyParserConfig
