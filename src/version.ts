// Read at build time: the bundler inlines package.json, so the compiled binary needs no file at run time.
import packageJson from "../package.json" with { type: "json" };

export const VERSION: string = packageJson.version;

/** Layout version of the control block shared by the CLI and the shim; both must agree. */
export const SHIM_PROTOCOL = 3;
