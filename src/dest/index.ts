// The one owner of what a backup directory holds: its files and where they are (files.ts), its state
// (state.ts), its manifest (manifest.ts), which entries are records and which the tree (entries.ts), how it is
// created (create.ts) and sealed after prepare (seal.ts). Backup, prepare, restore and verify ask here.
export * from "./create";
export * from "./entries";
export * from "./files";
export * from "./manifest";
export * from "./seal";
export * from "./state";
