// What a caller on hold hears between the music: that the agent is trying someone else, or still trying.
export type HoldNote = { kind: 'next'; unavailable: string; next: string } | { kind: 'still_trying'; unavailable: string };

export function onHoldNote(note: HoldNote): string {
  return note.kind === 'next'
    ? `${note.unavailable} isn't available, so I'm trying ${note.next} now. Please stay on the line.`
    : `Still trying to reach ${note.unavailable}, thanks for holding.`;
}
