/** Runtime defaults shared by every config (mmengine's default_runtime). */
export default {
  defaultHooks: {
    checkpoint: { interval: 1000, maxKeepCkpts: 3 },
    logger: { interval: 50 },
  },
  randomness: { seed: 0 },
};
