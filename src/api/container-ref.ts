import { z } from 'zod';

/**
 * A container as the operator names it: docker's rule for names (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`, which also covers
 * a full or short hex ID), with the leading `/` docker itself prints allowed. Anything else (`..`, `;`, `$()`,
 * unicode) never reaches dockerode: `..` turned into a redirect that dockerode followed to a host named `json`.
 */
export const CONTAINER_REF = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

export const CONTAINER_HINT = 'give a container name or ID as `docker ps` shows it, e.g. web or 3f2a9c1b0d4e';

export const ContainerRef = z
  .string()
  .min(1, 'is empty')
  .regex(CONTAINER_REF, 'is not a container name or ID (letters, digits, _ . -; first a letter or digit)');
