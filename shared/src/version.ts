/** The coldtrace release; a test keeps it equal to the root package.json version. */
export const COLDTRACE_VERSION = '0.1.0';
