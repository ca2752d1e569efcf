// Every lesson, in the order of the list on the front page, and the lesson that explains a preset's phenomenon.
import { betaLeash } from './beta-leash';
import { bothLogpsFall } from './both-logps-fall';
import { dpoImplicitReward } from './dpo-implicit-reward';
import { forwardReverseKl } from './forward-reverse-kl';
import type { Lesson } from './lesson';
import { noisyLabels } from './noisy-labels';
import { verbosity } from './verbosity';

export type { Choice, Explanation, Figure, Format, Lesson, LessonRun, Paper, Reading } from './lesson';
export { explain, lessonRunConfig } from './lesson';

export const LESSONS: readonly Lesson[] = [
  dpoImplicitReward,
  bothLogpsFall,
  betaLeash,
  noisyLabels,
  verbosity,
  forwardReverseKl,
];

export function findLesson(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}

/** The lesson whose phenomenon a preset shows (its quick variant is the same lesson), if there is one. */
export function lessonForPreset(preset: string): Lesson | undefined {
  const name = preset.replace(/-quick$/, '');
  return LESSONS.find((l) => l.explains.includes(name));
}
