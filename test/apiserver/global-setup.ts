// Finds or builds kube-apiserver and etcd once, before any test file starts a
// server (each file then finds them in the cache in milliseconds). Without Go
// the tier fails with one line saying how to get it: CI must never skip it.
import { findApiServerBinaries, GoToolchainError } from '../../src/testing/apiserver-binaries.js';

export default async function setup(): Promise<void> {
  try {
    await findApiServerBinaries();
  } catch (error) {
    if (!(error instanceof GoToolchainError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
