import type { CliCommand } from '../command.js';
import { agentCommand } from './agent.js';
import { clusterCommand, clustersCommand } from './clusters.js';
import { diffCommand } from './diff.js';
import { hubCommand } from './hub.js';
import { linksCommand } from './links.js';
import { previewCommand } from './preview.js';
import { registerCommand } from './register.js';
import { renderCommand } from './render.js';
import { rolloutCommand } from './rollout.js';
import { validateCommand } from './validate.js';

/** Every subcommand, in the order `netfleet --help` lists them. */
export const commands: CliCommand[] = [renderCommand, validateCommand, previewCommand, diffCommand, agentCommand, hubCommand, registerCommand, clustersCommand, clusterCommand, linksCommand, rolloutCommand];
