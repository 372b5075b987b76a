// Process entry point of the `multinic` binary; everything testable lives in main.ts.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`multinic: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
