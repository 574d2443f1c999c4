/**
 * `npm run vendor` (also run by `postinstall`): copies the console's UI kit
 * and browser libraries from node_modules into public/vendor, so Parley
 * serves them itself (no CDN; works offline). public/vendor is not
 * committed: it is rebuilt from the locked package versions.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'public/vendor')

/** [package file under node_modules, name served under /vendor] */
const FILES = [
  ['@tabler/core/dist/css/tabler.min.css', 'tabler.min.css'],
  ['@tabler/core/dist/js/tabler.min.js', 'tabler.min.js'],
  ['htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['alpinejs/dist/cdn.min.js', 'alpine.min.js'],
  ['chart.js/dist/chart.umd.min.js', 'chart.umd.min.js'],
]

// Production installs without these packages (e.g. `npm ci --omit=dev` of a
// build that already has them) have nothing to copy: say so, do not fail.
const missing = FILES.filter(([source]) => !existsSync(join(root, 'node_modules', source)))
if (missing.length > 0) {
  console.warn(`vendor: skipped, not installed: ${missing.map(([source]) => source).join(', ')}`)
  process.exit(0)
}

rmSync(target, { recursive: true, force: true })
mkdirSync(target, { recursive: true })
for (const [source, name] of FILES) {
  copyFileSync(join(root, 'node_modules', source), join(target, name))
}
console.log(`vendor: ${FILES.length} files copied to public/vendor`)
