"""log.page.cache.keep.bytes on a real broker and filesystem: a partition's appends past the window
leave the page cache once written (mincore(2) on the segment file says which pages are resident),
a consumer reading them back gets every record and does not pull them back into the cache, and
-1 leaves the page cache to the kernel, as Kafka does."""
import ctypes
import ctypes.util
import os

from confluent_kafka import Producer

from conftest import confluent_read_all, wait_until

MIB = 1 << 20
RECORDS, VALUE_SIZE = 24_000, 1000  # ~24 MiB into one partition
PAGE_CACHE_DURABILITY = ("--set", "log.flush.interval.messages=9223372036854775807")

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]


def resident_bytes(path):
    """Bytes of `path` in the page cache (mincore on a read-only mapping, which touches nothing)."""
    size = os.path.getsize(path)
    page = os.sysconf("SC_PAGE_SIZE")
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = _libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        pages = (size + page - 1) // page
        vec = ctypes.create_string_buffer(pages)
        try:
            assert _libc.mincore(addr, size, vec) == 0, os.strerror(ctypes.get_errno())
        finally:
            _libc.munmap(addr, size)
        return sum(b & 1 for b in vec.raw) * page
    finally:
        os.close(fd)


def produce(bootstrap, topic):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "1", "linger.ms": 5})
    for i in range(RECORDS):
        producer.produce(topic, value=i.to_bytes(4, "big") * (VALUE_SIZE // 4), partition=0)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(30) == 0


def segment_file(broker, topic):
    return broker.data_dir / f"{topic}-0" / "00000000000000000000.log"


def test_appends_past_the_window_leave_the_page_cache_and_read_back_whole(start_broker):
    b = start_broker("--set", "topics=windowed:1", "--set", f"log.page.cache.keep.bytes={MIB}",
                     *PAGE_CACHE_DURABILITY)
    produce(b.bootstrap, "windowed")
    log = segment_file(b, "windowed")
    assert os.path.getsize(log) >= RECORDS * VALUE_SIZE
    # The window (1 MiB), a step of appends not yet trimmed (1 MiB) and a folio across each edge.
    wait_until(lambda: resident_bytes(log) <= 6 * MIB, 30, "the segment's old pages leaving the page cache")

    got = confluent_read_all(b.bootstrap, "windowed", {0: RECORDS})[0]
    assert [m.offset() for m in got] == list(range(RECORDS))
    assert all(m.value() == i.to_bytes(4, "big") * (VALUE_SIZE // 4) for i, m in enumerate(got))
    # The consumer read ~24 MiB of cold data; it did not stay in the cache.
    assert resident_bytes(log) <= 8 * MIB


def test_minus_one_leaves_the_page_cache_to_the_kernel(start_broker):
    b = start_broker("--set", "topics=unbounded:1", "--set", "log.page.cache.keep.bytes=-1", *PAGE_CACHE_DURABILITY)
    produce(b.bootstrap, "unbounded")
    assert resident_bytes(segment_file(b, "unbounded")) >= RECORDS * VALUE_SIZE - 2 * MIB
