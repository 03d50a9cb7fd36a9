import type { SQLInputValue } from 'node:sqlite';
import type { Alias, Deployment, DeploymentEvent, DeploymentStatus, DistributionRevision, FunctionRecord, FunctionVersion, LocationRecord } from './control-store.ts';
import type { CodeRef } from './revision-document.ts';

/**
 * Rows of the SQLite control store's tables (sqlite-control-schema.ts) turned into the interface's
 * records. Each call builds new objects (JSON columns are parsed afresh), so what a caller gets is
 * never shared with the store or with another caller.
 */
export type Row = Record<string, SQLInputValue>;

export function toCode(row: Row): CodeRef {
  return { sha256: row.code_sha256 as string, sizeBytes: row.code_size_bytes as number, format: row.code_format as CodeRef['format'], fileName: row.code_file_name as string };
}

export function toFunction(row: Row): FunctionRecord {
  const name = row.name as string;
  return {
    name,
    arn: `verge:function:${name}`,
    settings: JSON.parse(row.settings as string),
    code: toCode(row),
    revisionId: row.revision_id as string,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function toVersion(row: Row): FunctionVersion {
  const functionName = row.function_name as string;
  const version = row.version as number;
  return {
    functionName,
    version,
    arn: `verge:function:${functionName}:${version}`,
    settings: JSON.parse(row.settings as string),
    code: toCode(row),
    description: row.description as string,
    createdAt: row.created_at as string,
  };
}

export function toAlias(row: Row): Alias {
  const functionName = row.function_name as string;
  const name = row.name as string;
  return {
    functionName,
    name,
    arn: `verge:function:${functionName}:${name}`,
    functionVersion: row.function_version as number,
    additionalVersionWeights: JSON.parse(row.additional_version_weights as string),
    description: row.description as string,
    revisionId: row.revision_id as string,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function toRevision(row: Row): DistributionRevision {
  return {
    distributionId: row.distribution_id as string,
    revision: row.revision as number,
    config: JSON.parse(row.config as string),
    comment: row.comment as string,
    createdBy: row.created_by as string,
    createdAt: row.created_at as string,
  };
}

export function toLocation(row: Row, healthRows: readonly Row[]): LocationRecord {
  return {
    name: row.name as string,
    url: (row.url as string | null) ?? undefined,
    registeredAt: row.registered_at as string,
    lastHeartbeatAt: (row.last_heartbeat_at as string | null) ?? undefined,
    distributionId: (row.distribution_id as string | null) ?? undefined,
    servingRevision: row.serving_revision as number,
    servingGeneration: row.serving_generation as number,
    desiredRevision: row.desired_revision as number,
    desiredGeneration: row.desired_generation as number,
    desiredDocument: row.desired_document === null ? undefined : JSON.parse(row.desired_document as string),
    health: healthRows.map((h) => ({ key: h.key as string, requests: h.requests as number, errors: h.errors as number, p99Ms: h.p99_ms as number, at: h.at as string })),
  };
}

export function toDeployment(row: Row, eventRows: readonly Row[]): Deployment {
  const events = eventRows.map((e): DeploymentEvent => {
    const event = { at: e.at as string, type: e.type as string, by: e.actor as string, message: e.message as string };
    // An event without data reads back without the key, as it was given.
    return e.data === null ? event : { ...event, data: JSON.parse(e.data as string) };
  });
  return {
    id: row.id as string,
    distributionId: row.distribution_id as string,
    revision: row.revision as number,
    previousRevision: row.previous_revision as number,
    status: row.status as DeploymentStatus,
    plan: JSON.parse(row.plan as string),
    state: JSON.parse(row.state as string),
    events,
    createdBy: row.created_by as string,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}
