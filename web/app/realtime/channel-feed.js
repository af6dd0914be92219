// One channel's share of the gateway, for the chat pane: its messages, edits, deletes, reactions and typing
// in the frame shapes the pane reads, the connection's status, and the pane's end when the
// channel, its server or the person's membership goes.
//
//   const feed = new ChannelFeed(live, { serverId, channelId, me, onFrame, onStatus });
//   feed.open();      starts listening (the status now comes at once)
//   feed.typing();    "I am typing"; false when not connected
//   feed.retryNow();  skips the gateway's wait before its next attempt
//   feed.close();     stops listening

/** Why a pane ends for good, in words. */
export const FEED_ENDINGS = /** @type {Record<number, string>} */ ({
  4403: "You are no longer a member of this server.",
  4404: "This channel, or its server, was deleted.",
  4004: "Your session has ended. Log in again.",
});

/**
 * @typedef {import("./gateway.js").GatewayStatus} GatewayStatus
 * @typedef {object} FeedOptions
 * @property {number|null} serverId null for a direct message
 * @property {number} channelId
 * @property {number|undefined} me the person's account id
 * @property {(frame: any) => void} onFrame
 * @property {(status: GatewayStatus) => void} onStatus online (`fresh`: what was missed must be
 *   read again), connecting, offline, or ended (`code` of FEED_ENDINGS; 0: logged out)
 */

export class ChannelFeed {
  /** @param {import("./live.js").Live} live @param {FeedOptions} options */
  constructor(live, options) {
    this.live = live;
    this.options = options;
    /** @type {(() => void)[]} */
    this.stops = [];
    this.ended = false;
  }

  open() {
    this.stops.push(this.live.listen((event, data) => this.dispatch(event, data)));
    this.stops.push(this.live.watch((status) => this.status(status)));
    const now = this.live.status;
    // Already online: the pane reads its history itself, nothing was missed.
    this.status(now.state === "online" ? { state: "online", fresh: false } : now);
  }

  close() {
    for (const stop of this.stops.splice(0)) stop();
  }

  typing() {
    return this.live.typing(this.options.channelId);
  }

  retryNow() {
    this.live.retryNow();
  }

  /** @param {string} event @param {any} d */
  dispatch(event, d) {
    const { serverId, channelId, me, onFrame } = this.options;
    const here = d.channel_id === channelId;
    switch (event) {
      case "message_create":
        return here && onFrame({ message: d, nonce: d.nonce });
      case "message_update":
        return here && onFrame({ event: "message_update", data: d });
      case "message_delete":
        return here && onFrame({ event: "message_delete", data: d });
      case "reaction_add":
      case "reaction_remove":
        return here && onFrame({ event: "reaction", data: { ...d, add: event === "reaction_add", mine: d.user_id === me } });
      case "typing_start":
        return here && onFrame({ event: "typing", data: d });
      case "channel_delete":
        return d.id === channelId && this.end(4404);
      case "server_delete":
        return d.id === serverId && this.end(4404);
      case "member_remove":
        return d.server_id === serverId && d.user_id === me && this.end(4403);
    }
  }

  /** @param {GatewayStatus} status */
  status(status) {
    if (this.ended) return;
    if (status.state === "ended") return this.end(status.code ?? 0);
    this.options.onStatus(status);
  }

  /** @param {number} code */
  end(code) {
    this.ended = true;
    this.close();
    this.options.onStatus({ state: "ended", code });
  }
}
