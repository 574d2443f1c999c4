// Prints the web widget's size as served: raw and gzipped bytes.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const source = readFileSync(new URL('../public/widget.js', import.meta.url))
const gzipped = gzipSync(source, { level: 9 }).length
console.log(`public/widget.js: ${source.length} bytes raw, ${gzipped} bytes gzipped`)
