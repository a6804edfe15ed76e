/** The version of orchard-master, reported by --version and in its master record. */
export const VERSION = '0.1.0';
