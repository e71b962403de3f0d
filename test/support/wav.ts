// The WAV writer moved to phones/wav.ts (the demo saves recordings with it); this keeps test imports working.
export { wavBytes } from '../../phones/wav.ts';
