// Long-running roles stop on SIGTERM (Kubernetes) or SIGINT (a terminal).
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}
