/**
 * Human feedback on a decision (the seeds' "accept this action for this problem? (y/n)"). It is a
 * signal of its own, stored and shown beside the outcome, never added into the outcome reward: an
 * action can heal and still be the wrong call (a rollback for a flaky test), or fail and still be
 * the right first try. Policies that want it read it separately.
 */
export const FeedbackValue = { accept: "accept", reject: "reject" } as const;
export type FeedbackValue = (typeof FeedbackValue)[keyof typeof FeedbackValue];

export interface HumanFeedback {
  decisionId: string;
  value: FeedbackValue;
  /** Who gave it (user name as the CLI or API knows it). */
  by: string;
  /** Epoch ms. */
  at: number;
  note?: string;
}
