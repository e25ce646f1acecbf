"""Parser and model for spate's protocol schema files (format: docs/protocol-schema.md).

Pure stdlib. `parse_schema(text, path)` returns a SchemaFile; errors raise SchemaError with the
file and line number.
"""
import json
import re

PRIMITIVES = ("bool", "int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "string",
              "bytes", "records", "uuid")
FIXED_SIZES = {"bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint16": 2, "uint32": 4,
               "float64": 8, "uuid": 16}
NULLABLE_KINDS = ("string", "bytes", "records")
MAX_VERSION = 32767
MESSAGE_KINDS = ("request", "response", "header", "data")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class SchemaError(Exception):
    pass


class Versions:
    """An inclusive version range; `lo > hi` means empty ("none")."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    @staticmethod
    def parse(text):
        if text == "none":
            return Versions(0, -1)
        m = re.fullmatch(r"(\d+)(\+|-(\d+))?", text)
        if not m:
            raise ValueError(f"bad version range '{text}'")
        lo = int(m.group(1))
        if m.group(2) is None:
            return Versions(lo, lo)
        if m.group(2) == "+":
            return Versions(lo, MAX_VERSION)
        hi = int(m.group(3))
        if hi < lo:
            raise ValueError(f"bad version range '{text}'")
        return Versions(lo, hi)

    def empty(self):
        return self.lo > self.hi

    def contains(self, v):
        return self.lo <= v <= self.hi

    def intersect(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def covers(self, other):
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def __eq__(self, other):
        return isinstance(other, Versions) and (
            (self.empty() and other.empty()) or (self.lo, self.hi) == (other.lo, other.hi))

    def __repr__(self):
        if self.empty():
            return "none"
        if self.hi == MAX_VERSION:
            return f"{self.lo}+"
        return f"{self.lo}" if self.lo == self.hi else f"{self.lo}-{self.hi}"


class FieldType:
    def __init__(self, text):
        self.text = text
        self.is_array = text.startswith("[]")
        self.base = text[2:] if self.is_array else text
        if not NAME_RE.match(self.base):
            raise ValueError(f"bad type '{text}'")
        self.is_primitive = self.base in PRIMITIVES
        self.struct = None  # resolved StructDef for struct types

    @property
    def is_struct(self):
        return not self.is_primitive

    def __repr__(self):
        return self.text


class Field:
    def __init__(self, name, ftype, versions, line):
        self.name = name
        self.type = ftype
        self.versions = versions
        self.nullable = Versions(0, -1)
        self.tagged = Versions(0, -1)
        self.tag = None
        self.default = None  # None: type's default; "null"; or the literal text
        self.default_is_string = False
        self.ignorable = False
        self.flexible_none = False
        self.fields = []
        self.line = line

    @property
    def has_nullable(self):
        return not self.nullable.empty()


class StructDef:
    def __init__(self, name, versions, fields, line):
        self.name = name
        self.versions = versions
        self.fields = fields
        self.line = line


class Message:
    def __init__(self, kind, name, versions, flexible, line):
        self.kind = kind
        self.name = name
        self.versions = versions
        self.flexible = flexible
        self.latest_unstable = False
        self.fields = []
        self.common = []
        self.structs = {}  # name -> StructDef, every struct type of this message
        self.line = line


class SchemaFile:
    def __init__(self, path):
        self.path = path
        self.api_name = None
        self.api_key = None
        self.messages = []


def _tokens(text):
    return re.findall(r'\S+?="(?:[^"\\]|\\.)*"|\S+', text)


def _attrs(tokens, err):
    out = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
        else:
            k, v = t, True
        if k in out:
            err(f"duplicate attribute '{k}'")
        out[k] = v
    return out


def _parse_field(rest, indent, lineno, err):
    m = re.fullmatch(r"([a-z][a-z0-9_]*):\s+(\S+)\s+(\S+)(.*)", rest)
    if not m:
        err("expected 'name: type versions [attributes]'")
    try:
        f = Field(m.group(1), FieldType(m.group(2)), Versions.parse(m.group(3)), lineno)
    except ValueError as e:
        err(str(e))
    attrs = _attrs(_tokens(m.group(4)), err)
    for k, v in attrs.items():
        try:
            if k == "nullable":
                f.nullable = Versions.parse(v)
            elif k == "tagged":
                f.tagged = Versions.parse(v)
            elif k == "tag":
                f.tag = int(v)
            elif k == "default":
                if v.startswith('"'):
                    f.default = json.loads(v)
                    f.default_is_string = True
                else:
                    f.default = v
            elif k == "ignorable" and v is True:
                f.ignorable = True
            elif k == "flexible" and v == "none":
                f.flexible_none = True
            else:
                err(f"unknown attribute '{k}'")
        except ValueError as e:
            err(str(e))
    if (f.tag is None) != f.tagged.empty():
        err("'tagged=' and 'tag=' go together")
    if f.has_nullable and not (f.type.is_array or f.type.is_struct or f.type.base in NULLABLE_KINDS):
        err(f"type {f.type} cannot be nullable")
    if f.default == "null" and not f.default_is_string and not f.has_nullable:
        err("default=null needs nullable versions")
    if not f.tagged.empty() and not f.versions.covers(f.tagged):
        err("tagged versions must lie within the field's versions")
    return f


class _Node:
    def __init__(self, indent, lineno, text):
        self.indent, self.lineno, self.text = indent, lineno, text
        self.children = []


def parse_schema(text, path="<schema>"):
    sf = SchemaFile(path)
    stack = []  # open _Nodes of the current message, innermost last
    msg = None
    msg_roots = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        def err(what, lineno=lineno):
            raise SchemaError(f"{path}:{lineno}: {what}")

        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if "\t" in raw:
            err("tabs are not allowed; indent with two spaces")
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            tokens = _tokens(line)
            head = tokens[0]
            if head == "api":
                if sf.api_name is not None or len(tokens) != 3 or not tokens[2].startswith("key="):
                    err("expected one 'api Name key=N' line")
                sf.api_name = tokens[1]
                sf.api_key = int(tokens[2][4:])
                continue
            if head not in MESSAGE_KINDS:
                err(f"expected api, request, response, header or data, got '{head}'")
            if head in ("request", "response"):
                if sf.api_name is None:
                    err("request/response need a preceding 'api' line")
                name = _snake(sf.api_name) + "_" + head
                rest = tokens[1:]
            else:
                if len(tokens) < 2 or not NAME_RE.match(tokens[1]):
                    err(f"expected '{head} name versions=.. flexible=..'")
                name = tokens[1]
                rest = tokens[2:]
            attrs = _attrs(rest, err)
            try:
                versions = Versions.parse(attrs.pop("versions"))
                flexible = Versions.parse(attrs.pop("flexible"))
            except KeyError:
                err("message needs versions= and flexible=")
            except ValueError as e:
                err(str(e))
            msg = Message(head, name, versions, flexible, lineno)
            if attrs.pop("latest_unstable", False):
                msg.latest_unstable = True
            if attrs:
                err(f"unknown attributes {sorted(attrs)}")
            sf.messages.append(msg)
            root = _Node(0, lineno, "")
            msg_roots.append((msg, root))
            stack = [root]
            continue
        if msg is None:
            err("field outside of a message")
        while stack[-1].indent >= indent:
            stack.pop()
        if indent != stack[-1].indent + 2:
            err("bad indentation: nest by exactly two spaces")
        node = _Node(indent, lineno, line)
        stack[-1].children.append(node)
        stack.append(node)
    if sf.api_name is not None and [m.kind for m in sf.messages] != ["request", "response"]:
        raise SchemaError(f"{path}: an api file holds exactly one request and one response")
    for m, root in msg_roots:
        _build(m, root, path)
        _resolve(m, path)
    return sf


def _build_fields(nodes, path):
    out = []
    for n in nodes:
        def err(what, lineno=n.lineno):
            raise SchemaError(f"{path}:{lineno}: {what}")
        if n.text.startswith("struct "):
            err("common structs are declared at the top level of a message")
        f = _parse_field(n.text, n.indent, n.lineno, err)
        if n.children and not f.type.is_struct:
            err(f"{f.type} is not a struct type and cannot have fields")
        f.fields = _build_fields(n.children, path)
        out.append(f)
    return out


def _build(msg, root, path):
    fields = [n for n in root.children if not n.text.startswith("struct ")]
    msg.fields = _build_fields(fields, path)
    for n in root.children:
        if not n.text.startswith("struct "):
            continue
        parts = n.text.split()
        if len(parts) != 3 or not NAME_RE.match(parts[1]):
            raise SchemaError(f"{path}:{n.lineno}: expected 'struct name versions'")
        try:
            versions = Versions.parse(parts[2])
        except ValueError as e:
            raise SchemaError(f"{path}:{n.lineno}: {e}")
        msg.common.append(StructDef(parts[1], versions, _build_fields(n.children, path), n.lineno))


def _snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def _resolve(msg, path):
    def err(line, what):
        raise SchemaError(f"{path}:{line}: {what}")

    for s in msg.common:
        if s.name in msg.structs:
            err(s.line, f"struct {s.name} defined twice")
        msg.structs[s.name] = s

    def walk(fields):
        names = set()
        tags = {}
        for f in fields:
            if f.name in names:
                err(f.line, f"duplicate field {f.name}")
            names.add(f.name)
            if f.tag is not None:
                if f.tag in tags:
                    err(f.line, f"tag {f.tag} used twice")
                tags[f.tag] = f
            if f.type.is_primitive:
                if f.fields:
                    err(f.line, f"{f.type} is not a struct type")
                continue
            if f.fields:
                if f.type.base in msg.structs:
                    err(f.line, f"struct {f.type.base} defined twice")
                msg.structs[f.type.base] = StructDef(f.type.base, f.versions, f.fields, f.line)
                walk(f.fields)
            elif f.type.base not in msg.structs:
                err(f.line, f"unknown struct type {f.type.base}")
            f.type.struct = msg.structs[f.type.base]

    walk(msg.fields)
    for s in msg.common:
        walk(s.fields)
    # Fields may reference common structs defined after them; resolve any stragglers.
    def fix(fields):
        for f in fields:
            if f.type.is_struct:
                f.type.struct = msg.structs[f.type.base]
                if f.fields:
                    fix(f.fields)
    fix(msg.fields)
