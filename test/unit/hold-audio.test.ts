// The settings side finds the built-in hold music without loading the media SDK: it must still be the file
// the SDK itself names, so an upgrade that moves it fails here rather than on a call.
import { existsSync } from 'node:fs';
import { voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { builtinHoldMusicPath } from '../../settings/music/hold-audio.ts';

describe('the built-in hold music', () => {
  it("is the SDK's own hold music clip, and the file is there", () => {
    expect(builtinHoldMusicPath()).toBe(voice.getBuiltinAudioPath(voice.BuiltinAudioClip.HOLD_MUSIC));
    expect(existsSync(builtinHoldMusicPath())).toBe(true);
  });
});
