/** A deterministic random source in [0, 1) (mulberry32), for jitter tests: the emulator's own. */
export { seededRandom } from '../../src/emulator/prng';
