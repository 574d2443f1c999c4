/*
|--------------------------------------------------------------------------
| Auth cache
|--------------------------------------------------------------------------
|
| Web processes (and the test runner, which serves the API in process)
| cache who a token or a member is, and empty that cache whenever any
| process announces a change (app/support/auth_cache.ts). Workers and ace
| commands only announce.
|
*/
import { AuthCache } from '#support/auth_cache'

AuthCache.listen()
