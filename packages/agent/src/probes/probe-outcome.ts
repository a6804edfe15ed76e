/** The result of one probe attempt; message says why it failed (kept for the event log). */
export interface ProbeOutcome {
  ok: boolean;
  message: string;
}
