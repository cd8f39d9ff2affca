import { useState } from 'react';
import { problemText } from './api';

/**
 * One call at a time with its state: `run` marks it busy, clears the last
 * error, and keeps the API's own words when it fails.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
