// The one door from bench/ into the tests' harness: the throwaway server, the hb binary and shim, sysbench
// and the replica oracle are the same parts the tests use, so that a number measured here is measured on what
// the tests prove correct.
export { HB, SHIM, run, spawnBg, tempDir, testEnv } from "../../test/helpers/harness";
export { type SysbenchSample, type SysbenchTables, sysbenchPrepare, sysbenchRun, tpsBetween, writeLoop } from "../../test/helpers/load";
export { type Server, type StartOptions, startMariaDB } from "../../test/helpers/mariadb";
export { compileC } from "../../test/helpers/cc";
export { rollForwardAndCompare } from "../../test/helpers/replica-oracle";
