/** kubepoll's version, sent as the User-Agent and printed by `kubepoll --version`. Kept in step with package.json by a test. */
export const VERSION = '0.1.0';
