// vitest globalSetup of the `realnode` project: the integration control plane with one real node
// (containerd + kubelet in a network namespace of its own) and no fake ones, the project's image
// imported.
// The image comes from $MULTINIC_IMAGE_DIR (tools/test.sh builds it) or from tools/image/build.sh.
// Any failure to bring the node up fails the whole project with the reason.
import type { TestProject } from 'vitest/node';
import { ensureImages } from '../../src/dev/images.js';
import { setupControlPlane } from './global-setup.js';

/** The machine identity the node is given; the kubelet must report it as its systemUUID. */
export const REAL_NODE_SYSTEM_UUID = '6c0e4f3a-9b2d-4e51-8a7c-3f1d2b4e6a80';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const images = await ensureImages(process.env, (line) => console.log(line));
  // No kwok Nodes: every pod the tests create must land on the real node.
  return setupControlPlane(project, {
    options: { images, systemUUID: REAL_NODE_SYSTEM_UUID },
    image: images.image,
    fakeNodes: 0,
  });
}
