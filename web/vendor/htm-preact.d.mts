// Types for tsc --checkJs only (never served): the package's own, from web/node_modules.
export * from "htm/preact";
