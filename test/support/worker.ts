// The worker runner moved to stack/worker-process.ts (the demo uses it); this keeps test imports working.
export { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
