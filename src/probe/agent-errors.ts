// The agent's one typed error, in a module of its own so that the entry point (agent.ts) and the
// handlers it loads (agent-net.ts, agent-dns.ts) import it without importing each other.

/** The request is unusable (bad JSON shape, out-of-range value): BAD_REQUEST, exit 2. */
export class AgentRequestError extends Error {}
