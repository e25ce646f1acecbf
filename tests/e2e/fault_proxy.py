"""A fault-injecting TCP proxy that understands Kafka framing, for the exactly-once e2e tests.

It sits between a client and spate. Every frame is a 4-byte big-endian size followed by the payload;
a request payload starts with api_key (int16), api_version (int16), correlation_id (int32), and a
response payload starts with the correlation_id. Knowing that, the proxy can

  * drop the response to a chosen fraction of Produce requests: the request reaches the broker (so
    the records are appended), the client never sees the answer, times out and retries, which is
    exactly the case an idempotent producer's sequence numbers exist for;
  * reset a connection at random moments (RST to the client, close towards the broker).

Clients must reach the broker only through the proxy: spate advertises its listener address in
Metadata and FindCoordinator, so start spate with `--advertised-listener 127.0.0.1:<proxy.port>`
and point the proxy at spate's real port (`set_upstream`). A restarted broker on another port is
picked up by calling `set_upstream` again; new client connections then go there.

Decisions come from one seeded random.Random, so a run's choices are reproducible given the same
order of requests. The counters (`dropped_responses`, `resets`, ...) let tests assert that the
faults really happened. Standard library only; one thread per direction per connection."""
import random
import socket
import struct
import threading

PRODUCE_API_KEY = 0
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST instead of FIN


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_frame(sock):
    """One whole frame (size prefix included), or None at end of stream."""
    prefix = _recv_exact(sock, 4)
    if prefix is None:
        return None
    (size,) = struct.unpack(">i", prefix)
    if size < 0:
        raise ConnectionError(f"negative frame size {size}")
    payload = _recv_exact(sock, size)
    if payload is None:
        return None
    return prefix + payload


class _Link:
    """One proxied client connection and its connection to the broker."""

    def __init__(self, proxy, serial, client, upstream):
        self.proxy = proxy
        self.serial = serial  # accept order, so a reset's choice does not depend on object ids
        self.client = client
        self.upstream = upstream
        self.produce_requests = 0
        self._drop = set()  # correlation ids whose responses are swallowed
        self._lock = threading.Lock()
        self._closed = False

    def start(self):
        threading.Thread(target=self._requests, daemon=True).start()
        threading.Thread(target=self._responses, daemon=True).start()

    def _requests(self):
        try:
            while True:
                frame = _recv_frame(self.client)
                if frame is None:
                    break
                if len(frame) >= 12:
                    api_key, _version, correlation_id = struct.unpack(">hhi", frame[4:12])
                    if api_key == PRODUCE_API_KEY:
                        with self._lock:
                            self.produce_requests += 1
                        if self.proxy._decide_drop():
                            with self._lock:
                                self._drop.add(correlation_id)
                        self.proxy._count("produce_requests")
                self.upstream.sendall(frame)
        except OSError:
            pass
        finally:
            self.close()

    def _responses(self):
        try:
            while True:
                frame = _recv_frame(self.upstream)
                if frame is None:
                    break
                if len(frame) >= 8:
                    (correlation_id,) = struct.unpack(">i", frame[4:8])
                    with self._lock:
                        drop = correlation_id in self._drop
                        self._drop.discard(correlation_id)
                    if drop:
                        self.proxy._count("dropped_responses")
                        continue
                self.client.sendall(frame)
        except OSError:
            pass
        finally:
            self.close()

    def close(self, reset=False):
        with self._lock:
            if self._closed:
                return False
            self._closed = True
        if reset:
            try:
                self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
            except OSError:
                pass
        for sock in (self.client, self.upstream):
            try:
                # shutdown wakes the pump thread blocked in recv on this socket; close frees it.
                sock.shutdown(socket.SHUT_RD if reset and sock is self.client else socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        self.proxy._forget(self)
        return True

    @property
    def closed(self):
        return self._closed


class FaultProxy:
    """Listens on 127.0.0.1:<port> (port chosen by the OS) and forwards to `upstream` (host, port).

    drop_produce_fraction: probability that a Produce request's response is swallowed.
    reset_interval_s: (low, high) seconds between connection resets, or None for no resets. A reset
    picks a live connection that has carried Produce requests (any live one if none has)."""

    def __init__(self, upstream=None, seed=0, drop_produce_fraction=0.0, reset_interval_s=None, host="127.0.0.1"):
        self.host = host
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._upstream = upstream
        self._drop_fraction = drop_produce_fraction
        self._reset_interval = reset_interval_s
        self._links = set()
        self._stop = threading.Event()
        self._faults_changed = threading.Event()
        self.counters = {"connections": 0, "upstream_connect_failures": 0, "produce_requests": 0,
                         "dropped_responses": 0, "resets": 0}
        self._listener = socket.create_server((host, 0))
        self.port = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._resetter, daemon=True)]
        for t in self._threads:
            t.start()

    # ---- configuration ----

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def set_upstream(self, host, port):
        with self._lock:
            self._upstream = (host, port)

    def set_faults(self, drop_produce_fraction=None, reset_interval_s=None):
        """Changes the fault rates; set_faults(0, None) turns the proxy into a plain pass-through."""
        with self._lock:
            if drop_produce_fraction is not None:
                self._drop_fraction = drop_produce_fraction
            self._reset_interval = reset_interval_s
        self._faults_changed.set()

    # ---- counters ----

    def __getattr__(self, name):
        counters = self.__dict__.get("counters")
        if counters is not None and name in counters:
            with self.__dict__["_lock"]:
                return counters[name]
        raise AttributeError(name)

    def _count(self, name):
        with self._lock:
            self.counters[name] += 1

    def snapshot(self):
        with self._lock:
            return dict(self.counters)

    # ---- internals ----

    def _decide_drop(self):
        with self._lock:
            return self._drop_fraction > 0 and self._rng.random() < self._drop_fraction

    def _forget(self, link):
        with self._lock:
            self._links.discard(link)

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                upstream_addr = self._upstream
            try:
                if upstream_addr is None:
                    raise ConnectionRefusedError("no upstream yet")
                upstream = socket.create_connection(upstream_addr, timeout=5)
                upstream.settimeout(None)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                # The broker is down (or restarting): the client sees its connection closed and retries.
                self._count("upstream_connect_failures")
                client.close()
                continue
            with self._lock:
                self.counters["connections"] += 1
                link = _Link(self, self.counters["connections"], client, upstream)
                self._links.add(link)
            link.start()

    def _resetter(self):
        while not self._stop.is_set():
            with self._lock:
                interval = self._reset_interval
                delay = self._rng.uniform(*interval) if interval else None
            self._faults_changed.clear()
            # Waiting here is the fault's timing, not synchronisation; a changed setting wakes us.
            if self._faults_changed.wait(timeout=delay if delay is not None else 3600) or self._stop.is_set():
                continue
            with self._lock:
                if not self._reset_interval:
                    continue
                live = [link for link in self._links if not link.closed]
                busy = [link for link in live if link.produce_requests > 0]
                candidates = sorted(busy or live, key=lambda link: link.serial)
                victim = self._rng.choice(candidates) if candidates else None
            if victim is not None and victim.close(reset=True):
                self._count("resets")

    def reset_all(self):
        """Resets every live connection now (e.g. to make clients reconnect to a new upstream)."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close(reset=True)

    def close(self):
        self._stop.set()
        self._faults_changed.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        except OSError:
            pass
        try:
            self._listener.close()
        except OSError:
            pass
        self.reset_all()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
