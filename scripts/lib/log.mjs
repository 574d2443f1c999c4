/**
 * Console output of the set-up scripts: one `[parley] …` line per step, and
 * `main()` to run a script and turn a SetupError into a message (no stack).
 */
export function log(message) {
  console.log(`[parley] ${message}`)
}

/** A problem the person running the script can fix; its message says how. */
export class SetupError extends Error {}

/** Runs a script's body and exits with the code it returns (0 when none). */
export function main(body) {
  body().then(
    (code) => process.exit(code ?? 0),
    (error) => {
      if (error instanceof SetupError) {
        console.error(`[parley] ${error.message}`)
      } else {
        console.error('[parley] unexpected error:', error)
      }
      process.exit(1)
    }
  )
}
