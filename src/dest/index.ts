// The one owner of what a backup directory holds: its files and where they are (files.ts), its state
// (state.ts), its manifest (manifest.ts), which entries are records and which the tree (entries.ts), how it is
// created (create.ts), sealed after prepare (seal.ts), and listed in order for a stream (contents.ts). Backup,
// prepare, restore, verify and the stream ask here.
export * from "./contents";
export * from "./create";
export * from "./entries";
export * from "./files";
export * from "./manifest";
export * from "./seal";
export * from "./state";
