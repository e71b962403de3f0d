// The order of the test files. vitest's own (failed first, then the longest, or the largest when it has no
// record) puts the takeover and drain files first; under `npm test` that is exactly while the unit and
// service lane shares the two cores (test/lanes.sh). Those files measure gaps against bounds (music again
// within 5 s, a moved call silent under 1 s): they run last, on a machine left to them; the rest keep
// vitest's order.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LAST = [
  'transfer-takeover',
  'worker-drain',
  'transfer-fault-matrix',
  'two-nodes',
  'keeper-bridged',
  'takeover-destinations',
  'redis-restart',
  'transfer-barge-in',
].map((name) => `/test/integration/${name}.test.ts`);

const last = (spec: TestSpecification) => LAST.some((file) => spec.moduleId.endsWith(file));

export default class GapsLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((spec) => !last(spec)), ...sorted.filter(last)];
  }
}
