// The package version the constructs default their image to; a unit test keeps it equal to
// package.json's (reading package.json here would be I/O and break the `lib/` layout).
export const MULTINIC_VERSION = '0.1.0';

/** The one image every role runs from (see the Dockerfile). */
export const DEFAULT_IMAGE = `ghcr.io/multinic/multinic:${MULTINIC_VERSION}`;
