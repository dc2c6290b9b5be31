import { useEffect, type Dispatch } from 'react';
import type { Action } from '../state/reducer.js';

/** Ticks every few seconds; the reducer only changes state when the minute does, so idle frames stay equal. */
export function useClock(dispatch: Dispatch<Action>, everyMs = 5_000): void {
  useEffect(() => {
    const t = setInterval(() => dispatch({ type: 'tick', now: Date.now() }), everyMs);
    return () => clearInterval(t);
  }, [dispatch, everyMs]);
}
