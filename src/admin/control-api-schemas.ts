/**
 * The request bodies of the control plane's admin API routes, as zod schemas: the routes validate
 * with them (json-body.ts) and the OpenAPI document (openapi-document.ts) is generated from them.
 */
import { z } from 'zod';
import { DEPLOYMENT_STRATEGIES } from '../control/deployments-service.ts';
import { descriptionSchema, functionNameSchema, settingsPatchSchema } from '../control/function-settings.ts';
import { ALIAS_NAME } from '../control/qualified-name.ts';

const unknownKey = (allowed: readonly string[]) => ({ error: (iss: { code?: string }) => (iss.code === 'unrecognized_keys' ? `unknown field; allowed: ${allowed.join(', ')}` : undefined) });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `POST /v1/functions`: Lambda's CreateFunction, the code as base64 (Lambda's `Code.ZipFile`). */
export const createFunctionSchema = settingsPatchSchema
  .omit({ revisionId: true })
  .extend({
    name: functionNameSchema,
    code: z.strictObject(
      {
        fileName: z.string().describe('index.mjs, fn.zip, fn.tar.gz: says what the bytes are'),
        base64: z.string().regex(BASE64, 'must be base64'),
      },
      unknownKey(['fileName', 'base64']),
    ),
  })
  .strict();

export const publishSchema = z.strictObject({ description: descriptionSchema.default(''), revisionId: z.string().optional() }, unknownKey(['description', 'revisionId']));

const weightsSchema = z.record(z.string().regex(/^[1-9][0-9]{0,9}$/, 'must be a version number'), z.number().min(0).max(1));

export const createAliasSchema = z.strictObject(
  {
    name: z.string().regex(ALIAS_NAME, 'must be 1-128 characters from A-Z a-z 0-9 _ -, not only digits'),
    functionVersion: z.int().min(1),
    additionalVersionWeights: weightsSchema.optional(),
    description: descriptionSchema.optional(),
  },
  unknownKey(['name', 'functionVersion', 'additionalVersionWeights', 'description']),
);

export const updateAliasSchema = z.strictObject(
  {
    functionVersion: z.int().min(1).optional(),
    additionalVersionWeights: weightsSchema.optional(),
    description: descriptionSchema.optional(),
    revisionId: z.string().optional(),
  },
  unknownKey(['functionVersion', 'additionalVersionWeights', 'description', 'revisionId']),
);

/** `POST /v1/distributions/{id}/revisions`: the distribution as in a config file (docs/config.md), associations naming `fn:3` / `fn:alias`. */
export const saveRevisionSchema = z.strictObject(
  {
    config: z.record(z.string(), z.unknown()),
    comment: z.string().max(1024).optional(),
  },
  unknownKey(['config', 'comment']),
);

export const deploySchema = z.strictObject(
  {
    revision: z.int().min(1),
    strategy: z.enum(DEPLOYMENT_STRATEGIES).default('AllAtOnce'),
    locations: z.array(z.string()).min(1).optional(),
    comment: z.string().max(1024).optional(),
  },
  unknownKey(['revision', 'strategy', 'locations', 'comment']),
);

export const registerSchema = z.strictObject(
  {
    url: z.string().url().optional(),
    nodeVersion: z.string().max(64).optional(),
  },
  unknownKey(['url', 'nodeVersion']),
);
