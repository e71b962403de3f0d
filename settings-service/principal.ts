// Who is asking, once their credentials are read (auth.ts): the administrator or one organization. A module of
// its own because the request hook (auth.ts) and the page's sessions (sessions.ts) both speak of it, and the
// hook reads sessions.
export type Principal = { kind: 'admin' } | { kind: 'organization'; organizationId: string };
