// The fakes of a transfer's collaborators, for unit tests: a Room, RoomService, hold music, the caller's
// session, and a call whose transfer tools are built from them.
export { fakeCall, CALLER_IDENTITY, CALLER_NUMBER, type FakeCall, type FakeCallOptions } from './call.ts';
export { fakeMusic, type FakeMusicOptions } from './music.ts';
export { fakeParticipant, fakeRoom, type FakeRoomOptions, type RoomEffect } from './room.ts';
export { fakeRoomApi, recordingRoomApi, withoutUuid, type LoggedCall, type RoomApiCall, type RoomApiMethod } from './room-api.ts';
export { fakeSession, type FakeSession } from './session.ts';
