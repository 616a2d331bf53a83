// Every probe, in the order they run and print. A new probe is an entry in one of these
// lists (or a new family file added here): the runner needs no change.
import type { Probe } from '../probe.js';
import { awarenessProbes } from './awareness.js';
import { degenerateProbes } from './degenerate.js';
import { forgeryProbes } from './forgery.js';
import { holdoutProbes } from './holdout.js';
import { measuresProbes } from './measures.js';
import { noiseProbes } from './noise.js';
import { promptProbes } from './prompt.js';
import { tamperingProbes } from './tampering.js';

export const PROBES: Probe[] = [
  ...measuresProbes,
  ...forgeryProbes,
  ...tamperingProbes,
  ...degenerateProbes,
  ...awarenessProbes,
  ...noiseProbes,
  ...holdoutProbes,
  ...promptProbes,
];
