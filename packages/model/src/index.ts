/** Package version, kept in step with package.json by changesets. */
export const VERSION = '0.1.0';
