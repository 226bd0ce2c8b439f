// SIGINT/SIGTERM during a backup: remember it, and let the backup loop stop at its next step, so that the
// capture is ended and what the backup wrote in DEST removed (dest-cleanup.ts).
import { HbError } from "../errors";

export function onInterrupt() {
  let signal: string | undefined;
  const handler = (s: NodeJS.Signals) => {
    signal = s;
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    check() {
      if (signal) throw new HbError("interrupted", `interrupted by ${signal}; the backup did not finish`);
    },
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
