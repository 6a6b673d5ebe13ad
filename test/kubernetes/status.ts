/**
 * metav1.Status failure bodies with the apiserver's reasons and message texts
 * (k8s.io/apimachinery/pkg/api/errors). Thrown as ApiError by handlers, written by the server.
 */
export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number }
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(readonly status: Status, readonly headers: Record<string, string> = {}) {
    super(status.message);
  }
}

/** A group/resource as the apiserver qualifies it in messages: "pods", "machinedeployments.cluster.x-k8s.io". */
export interface GroupResource { group: string; resource: string }
export const qualified = (gr: GroupResource) => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

function details(gr: GroupResource, name?: string, extra: Partial<StatusDetails> = {}): StatusDetails {
  // JSON omits empty fields (omitempty), as the real server does.
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return { ...d, ...extra };
}

export function failure(code: number, reason: string, message: string, d?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (d && Object.keys(d).length > 0) s.details = d;
  return s;
}

export const notFound = (gr: GroupResource, name: string) =>
  new ApiError(failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name)));

export const alreadyExists = (gr: GroupResource, name: string) =>
  new ApiError(failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name)));

export const conflict = (gr: GroupResource, name: string, why: string) =>
  new ApiError(failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name)));

export const modified = (gr: GroupResource, name: string) =>
  conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');

export const badRequest = (message: string) => new ApiError(failure(400, 'BadRequest', message));

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource') =>
  new ApiError(failure(405, 'MethodNotAllowed', message, {}));

export const unsupportedMediaType = (accepted: string[]) =>
  new ApiError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`));

/** 422 Invalid: `Pod "x" is invalid: spec.containers: Required value`. */
export function invalid(kind: string, gr: GroupResource, name: string, causes: { field: string; message: string; type?: string }[]): ApiError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const msg = `${kind} "${name}" is invalid: ${causes.length > 1 ? `[${text}]` : text}`;
  return new ApiError(failure(422, 'Invalid', msg, details(gr, name, {
    causes: causes.map((c) => ({ reason: c.type ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  })));
}

export const unauthorized = () => new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));

/** The authorizer's denial, worded as k8s.io/apiserver/pkg/endpoints/handlers/responsewriters.forbiddenMessage. */
export function forbidden(user: string, verb: string, gr: GroupResource, subresource: string | undefined, namespace: string | undefined, name: string | undefined): ApiError {
  const res = subresource ? `${gr.resource}/${subresource}` : gr.resource;
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const why = `User "${user}" cannot ${verb} resource "${res}" in API group "${gr.group}" ${where}`;
  const msg = name ? `${qualified(gr)} "${name}" is forbidden: ${why}` : `${qualified(gr)} is forbidden: ${why}`;
  return new ApiError(failure(403, 'Forbidden', msg, details(gr, name)));
}

export const tooManyRequests = (retryAfterSeconds: number, message = 'Too many requests, please try again later.') =>
  new ApiError(failure(429, 'TooManyRequests', message, { retryAfterSeconds }), { 'Retry-After': String(retryAfterSeconds) });

export const expired = (message: string) => new ApiError(failure(410, 'Expired', message));

export const internal = (message: string) =>
  new ApiError(failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));

export const serviceUnavailable = (message = 'the server is currently unable to handle the request') =>
  new ApiError(failure(503, 'ServiceUnavailable', message));

export const success = (code = 200): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });
