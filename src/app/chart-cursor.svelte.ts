// The read-out cursor of one chart: the step it reads, set by a pointer (mouse, pen or a tap) or moved by keys over
// the logged steps. Without one the read-out shows the latest values.
import { loggedSteps, stepAfterKey, type Series } from './series';

export class ChartCursor {
  /** The step read out, or null for the latest. */
  step = $state<number | null>(null);
  /** A mouse set it last: leaving the chart then ends the read-out, which a key or a tap leaves in place. */
  #byMouse = false;

  point(step: number, mouse: boolean): void {
    this.step = step;
    this.#byMouse = mouse;
  }

  /** Handle a key on the chart; true when it moved the cursor (so the page must not scroll). */
  key(key: string, series: readonly Series[]): boolean {
    if (key === 'Escape') {
      this.clear();
      return true;
    }
    // The logged steps are gathered on a key press only: most charts are never read by keys.
    const next = stepAfterKey(loggedSteps(series), this.step, key);
    if (next === null) return false;
    this.step = next;
    this.#byMouse = false;
    return true;
  }

  /** The mouse left the chart. */
  leave(): void {
    if (this.#byMouse) this.clear();
  }

  clear(): void {
    this.step = null;
    this.#byMouse = false;
  }
}
