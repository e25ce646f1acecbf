"""The cost of TLS: one broker with a PLAINTEXT and an SSL listener, produce and consume over
each in alternating rounds."""
from __future__ import annotations

import os

from .brokers import Broker, spate_supports
from .load import Bench, delivered
from .procs import free_port, log, run, tail
from .profiles import INT64_MAX


def make_tls_files(workdir: str) -> dict[str, str] | None:
    """A CA and a broker certificate it signs for 127.0.0.1 (openssl CLI, RSA 2048 as most
    deployments use), or None when openssl fails."""
    d = os.path.join(workdir, "tls")
    os.makedirs(d, exist_ok=True)
    f = {k: os.path.join(d, v) for k, v in (("ca", "ca.pem"), ("ca_key", "ca.key"), ("cert", "broker.pem"),
                                              ("key", "broker.key"), ("csr", "broker.csr"), ("ext", "san.cnf"))}
    with open(f["ext"], "w") as e:
        e.write("subjectAltName=IP:127.0.0.1\n")
    steps = [["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bench-ca",
              "-keyout", f["ca_key"], "-out", f["ca"]],
             ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f["key"],
              "-out", f["csr"]],
             ["openssl", "x509", "-req", "-in", f["csr"], "-CA", f["ca"], "-CAkey", f["ca_key"], "-CAcreateserial",
              "-days", "2", "-out", f["cert"], "-extfile", f["ext"]]]
    for cmd in steps:
        rc, _, err = run(cmd, timeout=60)
        if rc != 0:
            log(f"tls: {' '.join(cmd[:2])} failed: {tail(err)}")
            return None
    return f


def run_tls_pair(bench: Bench, spate: str, workdir: str, out: dict) -> None:
    """The cost of TLS: one page-cache broker with a PLAINTEXT and an SSL listener; 1 KiB records
    produced (acks=1) and then consumed over each, in alternating rounds (plain, tls, tls, plain) so
    drift in the machine's speed cancels out. `out` gets each side's MB/s and the tls/plain ratios."""
    a, p = bench.args, bench.args.profile
    names = ["produce_1k_acks1_tls", "produce_1k_acks1_plain", "consume_1k_tls", "consume_1k_plain"]
    if not any(bench.wanted(n) for n in names) or not os.path.exists(spate):
        return
    if not spate_supports(spate, "ssl.certificate.location"):
        out["error"] = "binary has no ssl.certificate.location"
        return
    files = make_tls_files(workdir)
    if not files:
        out["error"] = "could not make certificates with openssl"
        return
    topics = [(f"bench-tls{i}", a.partitions) for i in range(4)]
    b = Broker("tls", spate, workdir, {"log.flush.interval.messages": str(INT64_MAX),
                                       "ssl.certificate.location": files["cert"],
                                       "ssl.key.location": files["key"]}, topics)
    tls_port = free_port()
    tls_bootstrap = f"127.0.0.1:{tls_port}"
    b.cmd[b.cmd.index("--listen") + 1] = f"PLAINTEXT://{b.bootstrap},SSL://{tls_bootstrap}"
    client = {"tls": ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={files['ca']}"], "plain": []}
    bootstrap = {"tls": tls_bootstrap, "plain": b.bootstrap}
    try:
        log(f"starting spate (plaintext {b.bootstrap}, TLS {tls_bootstrap})")
        if not b.start():
            out["error"] = f"tls broker did not start: {b.error}"
            return
        for t, _ in topics:
            bench.wait_topic(b.bootstrap, t)
        rounds: dict[str, list[tuple[dict, dict | None]]] = {"tls": [], "plain": []}
        for i, side in enumerate(["plain", "tls", "tls", "plain"]):
            meta = {"target": "spate", "durability": "page cache", "transport": side, "round": i}
            topic = topics[i][0]
            r = bench.produce(f"produce_1k_acks1_{side}", bootstrap[side], topic, p["n_1k"], 1024, "1", b, meta,
                              client=client[side], force=True)
            c = bench.consume(f"consume_1k_{side}", bootstrap[side], topic, min(delivered(r), p["n_1k"]), b, meta,
                              client=client[side]) if r and r.get("ok") else None
            rounds[side].append((r or {}, c))

        def mean(side: str, which: int) -> float | None:
            v = [x[which].get("mb_per_s") for x in rounds[side] if x[which] and x[which].get("ok")]
            return sum(v) / len(v) if len(v) == 2 else None

        for kind, which in (("produce", 0), ("consume", 1)):
            tls, plain = mean("tls", which), mean("plain", which)
            out[f"{kind}_mb_per_s_tls"] = round(tls, 1) if tls else None
            out[f"{kind}_mb_per_s_plain"] = round(plain, 1) if plain else None
            out[f"{kind}_ratio_tls_vs_plain"] = round(tls / plain, 4) if tls and plain else None
            log(f"tls/plaintext {kind} throughput ratio: {out[f'{kind}_ratio_tls_vs_plain']}")
    finally:
        out["broker"] = b.stop()
