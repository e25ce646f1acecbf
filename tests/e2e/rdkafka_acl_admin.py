"""librdkafka's ACL Admin API (rd_kafka_CreateAcls / DescribeAcls / DeleteAcls) through ctypes: Debian's
confluent-kafka-python 1.7 does not wrap it (1.9 does), but the librdkafka 2.x it runs on has it, and
that C API is what the Confluent clients of every language call. An ACL binding or filter is a tuple
(resource_type, name, pattern_type, principal, host, operation, permission) of Kafka's codes; None
is a filter's "any" name, principal or host."""
import ctypes
import ctypes.util

_P = ctypes.c_void_p
_SIZE = ctypes.POINTER(ctypes.c_size_t)
_lib = ctypes.CDLL(ctypes.util.find_library("rdkafka") or "librdkafka.so.1")


def _declare(name, restype, *argtypes):
    fn = getattr(_lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_BINDING_ARGS = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                 ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)
_declare("rd_kafka_conf_new", _P)
_declare("rd_kafka_conf_set", ctypes.c_int, _P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t)
_declare("rd_kafka_new", _P, ctypes.c_int, _P, ctypes.c_char_p, ctypes.c_size_t)
_declare("rd_kafka_destroy", None, _P)
_declare("rd_kafka_queue_new", _P, _P)
_declare("rd_kafka_queue_destroy", None, _P)
_declare("rd_kafka_queue_poll", _P, _P, ctypes.c_int)
_declare("rd_kafka_event_destroy", None, _P)
_declare("rd_kafka_event_error", ctypes.c_int, _P)
_declare("rd_kafka_event_error_string", ctypes.c_char_p, _P)
_declare("rd_kafka_error_code", ctypes.c_int, _P)
_declare("rd_kafka_AclBinding_new", _P, *_BINDING_ARGS)
_declare("rd_kafka_AclBindingFilter_new", _P, *_BINDING_ARGS)
_declare("rd_kafka_AclBinding_destroy", None, _P)
_declare("rd_kafka_CreateAcls", None, _P, ctypes.POINTER(_P), ctypes.c_size_t, _P, _P)
_declare("rd_kafka_DescribeAcls", None, _P, _P, _P, _P)
_declare("rd_kafka_DeleteAcls", None, _P, ctypes.POINTER(_P), ctypes.c_size_t, _P, _P)
_declare("rd_kafka_event_CreateAcls_result", _P, _P)
_declare("rd_kafka_event_DescribeAcls_result", _P, _P)
_declare("rd_kafka_event_DeleteAcls_result", _P, _P)
_declare("rd_kafka_CreateAcls_result_acls", ctypes.POINTER(_P), _P, _SIZE)
_declare("rd_kafka_acl_result_error", _P, _P)
_declare("rd_kafka_DescribeAcls_result_acls", ctypes.POINTER(_P), _P, _SIZE)
_declare("rd_kafka_DeleteAcls_result_responses", ctypes.POINTER(_P), _P, _SIZE)
_declare("rd_kafka_DeleteAcls_result_response_error", _P, _P)
_declare("rd_kafka_DeleteAcls_result_response_matching_acls", ctypes.POINTER(_P), _P, _SIZE)
for _field in ("name", "principal", "host"):
    _declare(f"rd_kafka_AclBinding_{_field}", ctypes.c_char_p, _P)
for _field in ("restype", "resource_pattern_type", "operation", "permission_type"):
    _declare(f"rd_kafka_AclBinding_{_field}", ctypes.c_int, _P)


def _text(value):
    return None if value is None else value.encode()


def _binding_tuple(b):
    return (_lib.rd_kafka_AclBinding_restype(b), _lib.rd_kafka_AclBinding_name(b).decode(),
            _lib.rd_kafka_AclBinding_resource_pattern_type(b), _lib.rd_kafka_AclBinding_principal(b).decode(),
            _lib.rd_kafka_AclBinding_host(b).decode(), _lib.rd_kafka_AclBinding_operation(b),
            _lib.rd_kafka_AclBinding_permission_type(b))


def _error_code(error):
    return _lib.rd_kafka_error_code(error) if error else 0


class AclAdmin:
    """One librdkafka producer handle for admin requests; `config` is librdkafka properties."""

    def __init__(self, config, timeout_s=20):
        self._timeout_ms = int(timeout_s * 1000)
        self._err = ctypes.create_string_buffer(512)
        conf = _lib.rd_kafka_conf_new()
        for key, value in config.items():
            if _lib.rd_kafka_conf_set(conf, key.encode(), str(value).encode(), self._err, 512) != 0:
                raise ValueError(self._err.value.decode())
        self._rk = _lib.rd_kafka_new(0, conf, self._err, 512)
        if not self._rk:
            raise RuntimeError(self._err.value.decode())
        self._queue = _lib.rd_kafka_queue_new(self._rk)

    def close(self):
        _lib.rd_kafka_queue_destroy(self._queue)
        _lib.rd_kafka_destroy(self._rk)

    def _new(self, constructor, t):
        b = constructor(t[0], _text(t[1]), t[2], _text(t[3]), _text(t[4]), t[5], t[6], self._err, 512)
        if not b:
            raise ValueError(self._err.value.decode())
        return b

    def _call(self, start, result_of, read):
        start()
        event = _lib.rd_kafka_queue_poll(self._queue, self._timeout_ms)
        assert event, "no answer from librdkafka"
        try:
            if _lib.rd_kafka_event_error(event):
                return _lib.rd_kafka_event_error(event), _lib.rd_kafka_event_error_string(event).decode()
            return 0, read(result_of(event))
        finally:
            _lib.rd_kafka_event_destroy(event)

    def create(self, bindings):
        """(request error, [error code per binding])."""
        handles = (_P * len(bindings))(*[self._new(_lib.rd_kafka_AclBinding_new, b) for b in bindings])

        def read(result):
            n = ctypes.c_size_t()
            results = _lib.rd_kafka_CreateAcls_result_acls(result, ctypes.byref(n))
            return [_error_code(_lib.rd_kafka_acl_result_error(results[i])) for i in range(n.value)]
        try:
            return self._call(lambda: _lib.rd_kafka_CreateAcls(self._rk, handles, len(bindings), None, self._queue),
                              _lib.rd_kafka_event_CreateAcls_result, read)
        finally:
            for h in handles:
                _lib.rd_kafka_AclBinding_destroy(h)

    def describe(self, acl_filter):
        """(request error, sorted binding tuples), or (error code, message)."""
        handle = self._new(_lib.rd_kafka_AclBindingFilter_new, acl_filter)

        def read(result):
            n = ctypes.c_size_t()
            acls = _lib.rd_kafka_DescribeAcls_result_acls(result, ctypes.byref(n))
            return sorted(_binding_tuple(acls[i]) for i in range(n.value))
        try:
            return self._call(lambda: _lib.rd_kafka_DescribeAcls(self._rk, handle, None, self._queue),
                              _lib.rd_kafka_event_DescribeAcls_result, read)
        finally:
            _lib.rd_kafka_AclBinding_destroy(handle)

    def delete(self, filters):
        """(request error, [(error code, sorted deleted binding tuples)] per filter)."""
        handles = (_P * len(filters))(*[self._new(_lib.rd_kafka_AclBindingFilter_new, f) for f in filters])

        def read(result):
            n = ctypes.c_size_t()
            responses = _lib.rd_kafka_DeleteAcls_result_responses(result, ctypes.byref(n))
            out = []
            for i in range(n.value):
                m = ctypes.c_size_t()
                matching = _lib.rd_kafka_DeleteAcls_result_response_matching_acls(responses[i], ctypes.byref(m))
                out.append((_error_code(_lib.rd_kafka_DeleteAcls_result_response_error(responses[i])),
                            sorted(_binding_tuple(matching[j]) for j in range(m.value))))
            return out
        try:
            return self._call(lambda: _lib.rd_kafka_DeleteAcls(self._rk, handles, len(filters), None, self._queue),
                              _lib.rd_kafka_event_DeleteAcls_result, read)
        finally:
            for h in handles:
                _lib.rd_kafka_AclBinding_destroy(h)
