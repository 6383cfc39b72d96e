import { type EpisodeResult, summarizeEpisodes } from '../evaluate.js';
import type { EvaluationRecord } from '../jobs.js';

/** A stand-in evaluation record of the given episodes (tests of the tables and statistics). */
export function evaluationRecord(episodes: EpisodeResult[], features: EvaluationRecord['features'] = null): EvaluationRecord {
  return { job: {} as EvaluationRecord['job'], summary: summarizeEpisodes('x', 16, episodes), features, wallSeconds: 1 };
}
