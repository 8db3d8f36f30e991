/**
 * Answers a fake client gives when the test says, so calls overlap the way concurrent requests
 * make them overlap: `hold(answer)` is a promise that a later `answerAll()` settles.
 */
export function heldAnswers() {
  const unanswered: Array<() => void> = [];
  return {
    hold<T>(answer: () => T): Promise<T> {
      return new Promise((resolve) => unanswered.push(() => resolve(answer())));
    },
    /** Answers every call held so far, and those they lead to, until none is left. */
    async answerAll(): Promise<void> {
      for (let round = 0; round < 1_000; round++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (unanswered.length === 0) return;
        for (const answer of unanswered.splice(0)) answer();
      }
      throw new Error('the held calls never settled');
    },
  };
}
