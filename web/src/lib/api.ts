// The backend's JSON API (/api/...), with the web token as a Bearer header. Answers are
// validated before use; every failure comes back as words.

export interface ApiFailure {
  ok: false;
  status: number;
  error: string;
  message: string;
  reason: string | null;
}
export type ApiResult<T> = { ok: true; value: T } | ApiFailure;

export interface PairingCode {
  code: string;
  expiresAt: number;
}

export interface LinkedGateway {
  id: string;
  name: string;
  machine: string;
  linkedAt: string | null;
  lastSeen: string | null;
  terminals: number;
  version: string | null;
  online: boolean;
}

let apiBase = "";

/** Where the platform's API lives: "" (this page's origin, the normal case) or an absolute URL. */
export function setApiBase(base: string): void {
  apiBase = base.replace(/\/+$/, "");
}

async function call(path: string, token: string, method: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  let json: unknown = null;
  if (res.status !== 204) {
    try {
      json = await res.json();
    } catch {
      json = null;
    }
  }
  return { status: res.status, json };
}

function failure(status: number, json: unknown): ApiFailure {
  const o = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  const error = typeof o.error === "string" ? o.error : `http_${status}`;
  let message = typeof o.message === "string" ? o.message : "";
  if (message === "") {
    if (status === 404) message = "this platform does not offer that";
    else if (status === 429) message = "too many tries; wait a minute";
    else message = `the platform answered ${status}`;
  }
  return { ok: false, status, error, message, reason: typeof o.reason === "string" ? o.reason : null };
}

async function guarded<T>(run: () => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
  try {
    return await run();
  } catch {
    return { ok: false, status: 0, error: "network", message: "cannot reach the platform", reason: null };
  }
}

const CODE = /^[A-Z0-9]{4,16}$/;

export function parsePairingCode(json: unknown): PairingCode | null {
  if (typeof json !== "object" || json === null) return null;
  const o = json as Record<string, unknown>;
  if (typeof o.code !== "string" || !CODE.test(o.code) || typeof o.expires_at !== "string") return null;
  const expiresAt = Date.parse(o.expires_at);
  return Number.isNaN(expiresAt) ? null : { code: o.code, expiresAt };
}

export function parseGateways(json: unknown): LinkedGateway[] | null {
  if (!Array.isArray(json)) return null;
  const out: LinkedGateway[] = [];
  for (const item of json) {
    if (typeof item !== "object" || item === null) return null;
    const o = item as Record<string, unknown>;
    if (typeof o.id !== "string" || o.id === "") return null;
    const s = (v: unknown) => (typeof v === "string" ? v : null);
    out.push({
      id: o.id,
      name: s(o.name) ?? "",
      machine: s(o.machine) ?? "",
      linkedAt: s(o.linked_at),
      lastSeen: s(o.last_seen),
      terminals: typeof o.terminals === "number" && Number.isFinite(o.terminals) ? o.terminals : 0,
      version: s(o.version),
      online: o.online === true,
    });
  }
  return out;
}

export function createPairingCode(token: string): Promise<ApiResult<PairingCode>> {
  return guarded(async () => {
    const r = await call("/api/pairing-codes", token, "POST", {});
    if (r.status !== 201) return failure(r.status, r.json);
    const code = parsePairingCode(r.json);
    return code ? { ok: true, value: code } : failure(502, { message: "the platform sent an unreadable pairing code" });
  });
}

export function listGateways(token: string): Promise<ApiResult<LinkedGateway[]>> {
  return guarded(async () => {
    const r = await call("/api/gateways", token, "GET");
    if (r.status !== 200) return failure(r.status, r.json);
    const list = parseGateways(r.json);
    return list ? { ok: true, value: list } : failure(502, { message: "the platform sent an unreadable gateway list" });
  });
}

export function revokeGateway(token: string, id: string): Promise<ApiResult<null>> {
  return guarded(async () => {
    const r = await call(`/api/gateways/${encodeURIComponent(id)}`, token, "DELETE");
    return r.status === 204 ? { ok: true, value: null } : failure(r.status, r.json);
  });
}
