// A tiny ActivityPub server on Fedify (https://fedify.dev), used by tests/e2e/test_fedify_peer.py
// as an independent peer: one actor, an inbox that verifies HTTP Signatures (Fedify's default,
// never switched off here), automatic Accepts, and a few /_test/ endpoints that drive it and show
// what it received. Everything is in memory; run with `PORT=8123 node peer.mjs`.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import {
  Accept,
  Activity,
  Create,
  createFederation,
  Endpoints,
  Follow,
  generateCryptoKeyPair,
  InProcessMessageQueue,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { configure, defaultTextFormatter } from "@logtape/logtape";

const PORT = Number(process.env.PORT ?? 8123);
const ORIGIN = `http://localhost:${PORT}`;
const HOST = `localhost:${PORT}`;
const USERNAME = process.env.PEER_USERNAME ?? "peer";

function log(message) {
  process.stdout.write(`${new Date().toISOString()} [peer] ${message}\n`);
}

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stdout: (record) => process.stdout.write(defaultTextFormatter(record)) },
  loggers: [
    { category: "fedify", sinks: ["stdout"], lowestLevel: "info" },
    { category: ["logtape", "meta"], sinks: ["stdout"], lowestLevel: "warning" },
  ],
});

// In-memory state, shown by GET /_test/inbox.
const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const followers = new Map(); // actor id -> Recipient (actor object)
const following = new Map(); // actor id -> "pending" | "accepted"
const sentFollows = new Map(); // id of a Follow we sent -> the followed actor's id
const notes = new Map(); // note id -> Note
const accepted = []; // activities that passed verification and reached a listener
const deliveries = []; // every POST to an inbox: keyId, activity id/type, response status
const rawById = new Map(); // activity id -> the JSON as it was POSTed

const federation = createFederation({
  kv: new MemoryKvStore(),
  // Outgoing activities are queued (and retried); incoming ones are handled inside the request,
  // so a listener sees the request that carried the activity.
  queue: { outbox: new InProcessMessageQueue(), fanout: new InProcessMessageQueue() },
  origin: ORIGIN,
  // Our test servers live on loopback and federate over plain http.
  allowPrivateAddress: true,
  skipSignatureVerification: false,
  onOutboxError: (error, activity) => log(`delivery of ${activity?.id?.href} failed: ${error}`),
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USERNAME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An independent ActivityPub implementation used in Fedisocial's tests.",
      url: new URL(`/@${identifier}`, ORIGIN),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === USERNAME ? USERNAME : null))
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === USERNAME ? [keyPair] : []));

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) =>
  identifier === USERNAME ? { items: [...followers.values()] } : null,
);

federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (ctx, values) => {
  return notes.get(ctx.getObjectUri(Note, values).href) ?? null;
});

async function record(ctx, activity) {
  const id = activity.id?.href ?? null;
  const entry = {
    id,
    type: activity.constructor.name,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    json: rawById.get(id) ?? (await activity.toJsonLd({ contextLoader: ctx.contextLoader })),
  };
  accepted.push(entry);
  log(`accepted ${entry.type} ${id} from ${entry.actor}`);
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    const target = ctx.parseUri(follow.objectId);
    if (follow.id == null || target?.type !== "actor" || target.identifier !== USERNAME) return;
    const follower = await follow.getActor(ctx);
    if (follower?.id == null || follower.inboxId == null) return;
    followers.set(follower.id.href, follower);
    const accept = new Accept({
      id: new URL(`/accepts/${randomUUID()}`, ORIGIN),
      actor: ctx.getActorUri(USERNAME),
      to: follower.id,
      object: follow,
    });
    await ctx.sendActivity({ identifier: USERNAME }, follower, accept);
    log(`${follower.id.href} follows us; sent ${accept.id.href}`);
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    // The object is our Follow, embedded or by id; either way objectId is the Follow's id.
    const target = sentFollows.get(accept.objectId?.href);
    if (target != null && target === accept.actorId?.href) following.set(target, "accepted");
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const object = await undo.getObject(ctx).catch(() => null);
    if (object instanceof Follow && undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Activity, record) // any other activity (Like, Announce, Update, Delete...)
  .onError((_ctx, error) => log(`inbox listener error: ${error?.stack ?? error}`));

// --- test-only endpoints --------------------------------------------------------------------

function json(data, status = 200) {
  return new Response(JSON.stringify(data, null, 2), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** Find an actor from a handle: WebFinger (over http, as loopback test servers speak), then the
 * actor document, fetched and parsed by Fedify. */
async function resolveHandle(ctx, handle) {
  const [, domain] = handle.replace(/^@/, "").split("@");
  const finger = new URL(`http://${domain}/.well-known/webfinger`);
  finger.searchParams.set("resource", `acct:${handle.replace(/^@/, "")}`);
  const response = await fetch(finger, { headers: { Accept: "application/jrd+json" } });
  if (!response.ok) throw new Error(`WebFinger ${finger.href} answered ${response.status}`);
  const jrd = await response.json();
  const link = (jrd.links ?? []).find(
    (l) => l.rel === "self" && /activity\+json|ld\+json/.test(l.type ?? ""),
  );
  if (link == null) throw new Error(`WebFinger for ${handle} has no self link`);
  const actor = await ctx.lookupObject(link.href);
  if (actor?.id == null || actor.inboxId == null) throw new Error(`no actor at ${link.href}`);
  return actor;
}

async function testRoute(request, url) {
  const ctx = federation.createContext(request, undefined);
  const body = request.method === "POST" ? await request.json().catch(() => ({})) : {};
  if (request.method === "GET" && url.pathname === "/_test/inbox") {
    return json({
      actor: ctx.getActorUri(USERNAME).href,
      handle: `${USERNAME}@${HOST}`,
      followers: [...followers.keys()],
      following: Object.fromEntries(following),
      accepted,
      deliveries,
    });
  }
  if (request.method === "POST" && url.pathname === "/_test/follow") {
    const target = await resolveHandle(ctx, body.handle);
    const follow = new Follow({
      id: new URL(`/follows/${randomUUID()}`, ORIGIN),
      actor: ctx.getActorUri(USERNAME),
      object: target.id,
    });
    following.set(target.id.href, "pending");
    sentFollows.set(follow.id.href, target.id.href);
    await ctx.sendActivity({ identifier: USERNAME }, target, follow);
    log(`sent ${follow.id.href} to ${target.id.href}`);
    return json({ follow: follow.id.href, target: target.id.href, inbox: target.inboxId.href });
  }
  if (request.method === "POST" && url.pathname === "/_test/post") {
    const noteId = ctx.getObjectUri(Note, { identifier: USERNAME, id: randomUUID() });
    const extra = await Promise.all((body.to ?? []).map((handle) => resolveHandle(ctx, handle)));
    const note = new Note({
      id: noteId,
      attribution: ctx.getActorUri(USERNAME),
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(USERNAME), ...extra.map((a) => a.id)],
      content: body.content ?? "Hello from Fedify",
      url: noteId,
      published: Temporal.Now.instant(),
    });
    notes.set(noteId.href, note);
    const create = new Create({
      id: new URL(`${noteId.href}/activity`),
      actor: note.attributionId,
      to: PUBLIC_COLLECTION,
      ccs: note.ccIds,
      object: note,
    });
    await ctx.sendActivity({ identifier: USERNAME }, "followers", create, {
      preferSharedInbox: true,
    });
    if (extra.length) await ctx.sendActivity({ identifier: USERNAME }, extra, create);
    log(`sent ${create.id.href} to ${followers.size} follower(s) and ${extra.length} more`);
    return json({ note: noteId.href, create: create.id.href });
  }
  return json({ error: "not found" }, 404);
}

// --- HTTP ------------------------------------------------------------------------------------

async function handle(request) {
  const url = new URL(request.url);
  log(`${request.method} ${url.pathname}${url.search}`);
  if (url.pathname.startsWith("/_test/")) {
    try {
      return await testRoute(request, url);
    } catch (error) {
      log(`test endpoint failed: ${error?.stack ?? error}`);
      return json({ error: String(error) }, 500);
    }
  }
  let delivery = null;
  if (request.method === "POST") {
    const raw = await request
      .clone()
      .json()
      .catch(() => null);
    const signed = `${request.headers.get("signature")} ${request.headers.get("signature-input")}`;
    const keyId = /keyid="([^"]*)"/i.exec(signed)?.[1] ?? null;
    // With neither an LD signature nor a proof, a 202 means the HTTP Signature was verified.
    const { id = null, type = null, signature, proof } = raw ?? {};
    delivery = { path: url.pathname, keyId, id, type, ldSignature: !!signature, proof: !!proof };
    if (raw?.id) rawById.set(raw.id, raw);
    deliveries.push(delivery);
  }
  const response = await federation.fetch(request, { contextData: undefined });
  if (delivery) {
    delivery.status = response.status;
    log(`inbox ${delivery.type} ${delivery.id} signed by ${delivery.keyId} -> ${response.status}`);
  }
  return response;
}

serve({ fetch: handle, port: PORT, hostname: "127.0.0.1" }, () => {
  log(`listening on 127.0.0.1:${PORT} as ${USERNAME}@${HOST} (${ORIGIN}/users/${USERNAME})`);
});
