import { readdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import StaticMiddleware from '@adonisjs/static/static_middleware'

let files: StaticMiddleware | undefined
let entries: Set<string> | undefined

/** The names at the top of public/: read once in production (they ship with the build). */
function publicEntries() {
  if (entries && app.inProduction) return entries
  entries = new Set(readdirSync(app.publicPath()))
  return entries
}

function topSegment(path: string) {
  try {
    return decodeURIComponent(path.split('/', 2)[1] ?? '')
  } catch {
    return ''
  }
}

/**
 * Serves the files of public/ (@adonisjs/static), asked only for paths
 * that can be one: the static server looks every request up on disk
 * first, which cost API requests and console pages a file-system call
 * each (a tenth of an authenticated API request's time).
 */
export default class StaticFilesMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    if (!publicEntries().has(topSegment(ctx.request.url()))) return next()
    files ??= await app.container.make(StaticMiddleware)
    return files.handle(ctx, next)
  }
}
