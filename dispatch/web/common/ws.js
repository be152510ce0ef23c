// A WebSocket that reconnects by itself with exponential backoff (and jitter), sends a
// keep-alive ping, and reports its state: "connecting", "open", "waiting" (with the time of
// the next try) or "closed" (stopped).

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const BACKOFF_FACTOR = 2;
const JITTER = 0.25;
const KEEPALIVE_MS = 20000;
/** A connection open this long counts as healthy: the backoff starts over. */
const HEALTHY_MS = 10000;
/** The server's answer to the first auth message. */
const AUTH_OK = "auth.ok";

export class LiveSocket {
  /**
   * url(): the URL for the next connection (it may change, e.g. a resume point);
   * onMessage(data): each parsed JSON message; onState(state, info): state changes;
   * onFailure(attempts): after a connection that failed or dropped (e.g. to check the token);
   * keepalive(seq): the message sent every keepaliveMs on an open socket (null: none);
   * auth(): the first message sent on each connection ({type: "auth", token}), so the token
   * stays out of the URL (and the servers' logs).
   */
  constructor({ url, onMessage, onState = () => {}, onFailure = () => {},
                keepaliveMs = KEEPALIVE_MS, keepalive = (seq) => ({ type: "ping", seq }),
                auth = null }) {
    this.url = url;
    this.auth = auth;
    this.onMessage = onMessage;
    this.onState = onState;
    this.onFailure = onFailure;
    this.keepaliveMs = keepaliveMs;
    this.keepaliveMessage = keepalive;
    this.delay = BACKOFF_MIN_MS;
    this.failures = 0;
    this.ws = null;
    this.timer = null;
    this.keepalive = null;
    this.stopped = true;
    this.pingSeq = 0;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.onState("closed");
  }

  /** Send ``message`` now; false when the socket is not open (nothing is sent). */
  send(message) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  /** Drop the connection (if any) and connect again at once, e.g. when the network is back. */
  restart() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    if (this.ws) {
      this.ws.onopen = null;
      this.ws.onmessage = null;
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.delay = BACKOFF_MIN_MS;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    this.onState("connecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let openedAt = 0;
    // Open once the server knows who we are: at once with the token on the URL, after its
    // "auth.ok" with a first auth message (nothing sent to us is missed from then on).
    const opened = () => {
      openedAt = Date.now();
      this.onState("open");
      this.keepalive = setInterval(() => {
        const message = this.keepaliveMessage(++this.pingSeq);
        if (message) this.send(message);
      }, this.keepaliveMs);
    };
    ws.onopen = () => {
      if (this.auth) ws.send(JSON.stringify(this.auth()));
      else opened();
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === AUTH_OK && this.auth && !openedAt) {
        opened();
        return;
      }
      this.onMessage(message);
    };
    ws.onclose = () => {
      clearInterval(this.keepalive);
      this.ws = null;
      if (this.stopped) return;
      if (openedAt && Date.now() - openedAt >= HEALTHY_MS) {
        this.delay = BACKOFF_MIN_MS;
        this.failures = 0;
      }
      this.failures += 1;
      this.onFailure(this.failures);
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    const wait = this.delay * (1 + JITTER * (Math.random() * 2 - 1));
    this.delay = Math.min(BACKOFF_MAX_MS, this.delay * BACKOFF_FACTOR);
    this.onState("waiting", { at: Date.now() + wait });
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
