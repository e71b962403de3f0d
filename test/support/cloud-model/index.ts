// A stateful model of LiveKit Cloud's room rules for unit tests (model.ts says what it models).
export { CloudModel, type CloudModelOptions, type Dialer } from './model.ts';
export { notFound, notImplemented, unavailable } from './errors.ts';
export type { PhoneAnswer } from './phones.ts';
