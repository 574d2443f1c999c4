/**
 * Reads the environment the way the app does (@adonisjs/env): the first
 * non-empty value wins, in this order: process.env, .env.<NODE_ENV>.local,
 * .env.local (skipped when NODE_ENV=test), .env.<NODE_ENV>, .env. NODE_ENV
 * selecting the files comes from the process environment, not from .env.
 */
import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { log } from './log.mjs'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENV_FILE = join(ROOT, '.env')

// dotenv's own line grammar (the app parses with dotenv).
const LINE =
  /^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$/gm

export function parseDotenv(text) {
  const values = {}
  for (const [, key, raw = ''] of text.replace(/\r\n?/g, '\n').matchAll(LINE)) {
    const value = raw.trim()
    const unquoted = value.replace(/^(['"`])([\s\S]*)\1$/, '$2')
    values[key] = value.startsWith('"')
      ? unquoted.replace(/\\n/g, '\n').replace(/\\r/g, '\r')
      : unquoted
  }
  return values
}

/** `$VAR`, `${VAR}` and `\$` as the app expands them: same file first, then process.env. */
function interpolate(values) {
  const expand = (value, depth) =>
    value.replace(/\\\$|\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (match, braced, bare) => {
      if (match === '\\$') return '$'
      const key = (braced ?? bare).trim()
      if (values[key] && depth < 10) return expand(values[key], depth + 1)
      return process.env[key] ?? ''
    })
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, expand(value, 0)]))
}

function readEnvFile(name) {
  const path = join(ROOT, name)
  return existsSync(path) ? interpolate(parseDotenv(readFileSync(path, 'utf8'))) : {}
}

export function loadEnv(nodeEnv = process.env.NODE_ENV) {
  const layers = [process.env]
  if (nodeEnv) layers.push(readEnvFile(`.env.${nodeEnv}.local`))
  if (!['test', 'testing'].includes(nodeEnv)) layers.push(readEnvFile('.env.local'))
  if (nodeEnv) layers.push(readEnvFile(`.env.${nodeEnv}`))
  layers.push(readEnvFile('.env'))

  const env = {}
  for (const layer of layers.reverse()) {
    for (const [key, value] of Object.entries(layer)) {
      if (value) env[key] = value
    }
  }
  return env
}

export const generateAppKey = () => randomBytes(32).toString('base64url')

/** Creates .env from .env.example when absent, and gives it an APP_KEY when it has none. */
export function ensureEnvFile() {
  if (!existsSync(ENV_FILE)) {
    copyFileSync(join(ROOT, '.env.example'), ENV_FILE)
    log('created .env from .env.example')
  }
  const text = readFileSync(ENV_FILE, 'utf8')
  if (parseDotenv(text).APP_KEY) return

  const line = `APP_KEY=${generateAppKey()}`
  const keyLine = /^[ \t]*(?:export\s+)?APP_KEY[ \t]*=.*$/m
  const updated = keyLine.test(text)
    ? text.replace(keyLine, line)
    : `${text}${text.endsWith('\n') || !text ? '' : '\n'}${line}\n`
  writeFileSync(ENV_FILE, updated)
  log('generated APP_KEY in .env')
}
