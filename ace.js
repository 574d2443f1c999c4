/*
|--------------------------------------------------------------------------
| JavaScript entrypoint for running ace commands
|--------------------------------------------------------------------------
|
| TypeScript sources are compiled on the fly by ts-node-maintained; the
| production build (`node ace build`) ships a compiled copy of this file.
*/
import 'ts-node-maintained/register/esm'

await import('./bin/console.js')
