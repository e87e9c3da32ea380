#!/usr/bin/env python3
"""Refuse a Terraform configuration that could run anything but the allowed providers.

The apply job holds credentials that can grant access. A pull request can add
code that runs with them: another provider (hashicorp/aws could assign a
permission set for good, without a lease or an audit event), a provisioner
(`local-exec` runs any command), or the `external` data source (runs any
program). This script reads the configuration itself, before Terraform runs
anything, and refuses:

  * a provider whose source address is not in the allowlist (default: only
    registry.terraform.io/jit-access/jit), whether declared in
    `required_providers` (override files included), implied by a resource,
    data source, ephemeral resource or action type (`aws_*` is
    hashicorp/aws, `terraform_*` the built-in terraform.io/builtin/terraform),
    named by a `provider` block or argument, passed to a module, named in
    `provider_meta`, or called as a provider-defined function
    (`provider::NAME::...`, looked for in the raw text, comments included);
  * any `provisioner` block (also `dynamic "provisioner"`), in any block;
  * any `external` data source;
  * a module whose source is not a local path inside the repository (a
    remote module could change after review and cannot be read before it
    is downloaded); local modules are read the same way, recursively;
  * a `terraform.d` or `.terraform` directory in the configuration's
    directory: Terraform installs providers from `terraform.d/plugins` and
    reuses what `.terraform` holds, so a committed binary could run under
    an allowed name;
  * anything it cannot read for certain (fail closed): a file that is not
    UTF-8, an unknown top-level block, a template that spans lines, a
    heredoc it cannot delimit, a `source` or `provider` that is not a
    literal, JSON that is not an object.

Every `*.tf` and `*.tf.json` file of each module directory is read (hidden
and override files too, whatever their case), native syntax with a small
HCL reader and JSON syntax keeping duplicate keys (a JSON parser that kept
only the last `"resource"` key would miss the first).

--terraform-providers FILE checks the output of `terraform providers` (run
after `init`): every `provider[...]` it names, from the configuration or
from the state, must be allowed too.

Usage:
  check-config.py [--root REPO] [--allow ADDRESS[,ADDRESS]]... [--json] CONFIG_DIR
  check-config.py [--allow ADDRESS[,ADDRESS]]... [--json] --terraform-providers FILE

The first form runs before `init` (it refuses a `.terraform` directory, which
`init` creates); the second after it.

Exit code 0 when nothing is refused, 1 otherwise (each problem is printed as
a GitHub error annotation). --json prints {"providers": [...], "problems":
[...]} on stdout as well.
"""

import argparse
import json
import os
import re
import sys

DEFAULT_ALLOWED = ("registry.terraform.io/jit-access/jit",)
BUILTIN = "terraform.io/builtin/terraform"
TOP_LEVEL = {
    "action", "check", "data", "ephemeral", "import", "locals", "module", "moved",
    "output", "provider", "removed", "resource", "terraform", "variable",
}
# Blocks whose first label is a type named after its provider.
TYPED = {"action", "data", "ephemeral", "list", "resource"}
FORBIDDEN_DIRS = ("terraform.d", ".terraform")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
FUNCTION = re.compile(r"provider\s*::\s*([A-Za-z_][A-Za-z0-9_-]*)\s*::")
PROVIDERS_OUTPUT = re.compile(r"provider\[([^\]\s]+)\]")
PUNCT = ("...", "::", "==", "!=", "<=", ">=", "=>", "&&", "||")
SINGLE = "{}[]()=,.:?!<>+-*/%"


class Refused(Exception):
    """Something the reader cannot read for certain."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line


# --------------------------------------------------------------- native syntax


class Token:
    def __init__(self, kind, text, line, value=None):
        self.kind, self.text, self.line, self.value = kind, text, line, value


def skip_template(text, i, line):
    """Index after the `}` closing a `${`/`%{` that starts before `i`.

    The sequence must close on its own line and hold no comment or heredoc:
    anything else could make this reader and Terraform disagree about where
    it ends."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            break
        if c == '"':
            _, i = lex_string(text, i, line)
            continue
        if c == "#" or text.startswith("//", i) or text.startswith("/*", i) or text.startswith("<<", i):
            raise Refused(line, "a comment or heredoc inside a template sequence is not read here")
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise Refused(line, "a template sequence (`${` or `%{`) must close on the line it opens")


def lex_string(text, i, line):
    """(literal value, or None for a template; index after the closing quote)."""
    i += 1
    chars, template = [], False
    while i < len(text):
        c = text[i]
        if c == "\n":
            break
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] == "\n":
                break
            escaped = text[i + 1]
            chars.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(escaped, "\\" + escaped))
            i += 2
            continue
        if c == '"':
            return (None if template else "".join(chars)), i + 1
        if text.startswith("$${", i) or text.startswith("%%{", i):
            chars.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            template = True
            i = skip_template(text, i + 2, line)
            continue
        chars.append(c)
        i += 1
    raise Refused(line, "a quoted string must close on the line it opens")


def check_template_line(content, line):
    i = 0
    while i < len(content):
        if content.startswith("$${", i) or content.startswith("%%{", i):
            i += 3
        elif content.startswith("${", i) or content.startswith("%{", i):
            i = skip_template(content, i + 2, line)
        else:
            i += 1


def lex(text):
    # A carriage return is only read as part of a line break: anywhere else
    # it could end a line for one reader and not for the other.
    stray = re.search(r"\r(?!\n)", text)
    if stray:
        raise Refused(text.count("\n", 0, stray.start()) + 1, "a carriage return outside a line break")
    tokens, i, line, n = [], 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(Token("nl", c, line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise Refused(line, "a `/*` comment is not closed")
            lines = text.count("\n", i, end)
            if lines:
                # A comment spanning lines ends a statement, like a newline.
                tokens.append(Token("nl", "\n", line))
                line += lines
            i = end + 2
        elif text.startswith("<<", i):
            match = HEREDOC.match(text, i)
            if not match:
                raise Refused(line, "`<<` must start a heredoc (`<<EOF` and a line break)")
            marker, start = match.group(2), line
            i = match.end()
            line += 1
            while True:
                if i >= n:
                    raise Refused(start, f"heredoc `{marker}` is not closed")
                end = text.find("\n", i)
                end = n if end < 0 else end
                content = text[i:end]
                if content.endswith("\r"):
                    content = content[:-1]
                # The marker alone on its line, indented or not, ends it. A
                # line that is the marker give or take other white space
                # might or might not end it for Terraform: refused.
                if content.lstrip(" \t") == marker:
                    i = end
                    break
                if content.strip() == marker:
                    raise Refused(line, f"heredoc `{marker}`: a line that is its marker with other white space is ambiguous")
                check_template_line(content, line)
                i = end + 1
                line += 1
            tokens.append(Token("heredoc", marker, start))
        elif c == '"':
            value, i = lex_string(text, i, line)
            tokens.append(Token("string", "", line, value))
        elif IDENT.match(text, i):
            word = IDENT.match(text, i).group(0)
            tokens.append(Token("ident", word, line))
            i += len(word)
        elif NUMBER.match(text, i):
            number = NUMBER.match(text, i).group(0)
            tokens.append(Token("number", number, line))
            i += len(number)
        else:
            for punct in PUNCT:
                if text.startswith(punct, i):
                    tokens.append(Token(punct, punct, line))
                    i += len(punct)
                    break
            else:
                if c not in SINGLE:
                    raise Refused(line, f"unexpected character {c!r}")
                tokens.append(Token(c, c, line))
                i += 1
    tokens.append(Token("eof", "", line))
    return tokens


class Block:
    def __init__(self, kind, labels, body, line):
        self.kind, self.labels, self.body, self.line = kind, labels, body, line


class Attribute:
    def __init__(self, name, expression, line):
        self.name, self.expression, self.line = name, expression, line


class Parser:
    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self):
        return self.tokens[self.pos]

    def next(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def body(self, nested):
        items = []
        while True:
            while self.peek().kind == "nl":
                self.next()
            token = self.peek()
            if token.kind == "eof":
                if nested:
                    raise Refused(token.line, "a block is not closed")
                return items
            if token.kind == "}":
                if not nested:
                    raise Refused(token.line, "unexpected `}`")
                self.next()
                return items
            if token.kind != "ident":
                raise Refused(token.line, f"expected an argument or a block, found `{token.text or token.kind}`")
            name = self.next()
            if self.peek().kind == "=":
                self.next()
                items.append(Attribute(name.text, self.expression(), name.line))
            else:
                labels = []
                while self.peek().kind in ("string", "ident"):
                    label = self.next()
                    if label.kind == "string" and label.value is None:
                        raise Refused(label.line, "a block label may not be a template")
                    labels.append(label.value if label.kind == "string" else label.text)
                if self.peek().kind != "{":
                    raise Refused(self.peek().line, f"`{name.text}` is neither an argument (`=`) nor a block (`{{`)")
                self.next()
                items.append(Block(name.text, labels, self.body(True), name.line))
            if self.peek().kind not in ("nl", "eof", "}"):
                raise Refused(self.peek().line, "expected a line break")

    def expression(self):
        """Tokens up to the end of the line (outside brackets) or a closing `}`."""
        tokens, depth = [], 0
        while True:
            token = self.peek()
            if token.kind == "eof" or (depth == 0 and token.kind in ("nl", "}")):
                break
            if token.kind in ("(", "[", "{"):
                depth += 1
            elif token.kind in (")", "]", "}"):
                depth -= 1
                if depth < 0:
                    raise Refused(token.line, f"unbalanced `{token.kind}`")
            tokens.append(self.next())
        if depth or not [t for t in tokens if t.kind != "nl"]:
            raise Refused(self.peek().line, "an argument has no value or unbalanced brackets")
        return tokens


class Traversal(tuple):
    """`jit.secondary` as ("jit", "secondary")."""


class NotLiteral(Exception):
    pass


def literal(tokens):
    """The value of a literal expression (string, number, bool, list,
    object, traversal); NotLiteral for anything else."""
    tokens = [t for t in tokens if t.kind != "nl"]
    value, pos = literal_at(tokens, 0)
    if pos != len(tokens):
        raise NotLiteral()
    return value


def literal_at(tokens, pos):
    if pos >= len(tokens):
        raise NotLiteral()
    token = tokens[pos]
    if token.kind == "string":
        if token.value is None:
            raise NotLiteral()
        return token.value, pos + 1
    if token.kind == "number":
        return token.text, pos + 1
    if token.kind == "ident":
        if token.text in ("true", "false", "null"):
            return token.text, pos + 1
        names = [token.text]
        pos += 1
        while pos + 1 < len(tokens) and tokens[pos].kind == "." and tokens[pos + 1].kind == "ident":
            names.append(tokens[pos + 1].text)
            pos += 2
        return Traversal(names), pos
    if token.kind == "[":
        items, pos = [], pos + 1
        while pos < len(tokens) and tokens[pos].kind != "]":
            item, pos = literal_at(tokens, pos)
            items.append(item)
            if pos < len(tokens) and tokens[pos].kind == ",":
                pos += 1
        if pos >= len(tokens):
            raise NotLiteral()
        return items, pos + 1
    if token.kind == "{":
        pairs, pos = [], pos + 1
        while pos < len(tokens) and tokens[pos].kind != "}":
            key = tokens[pos]
            if key.kind == "ident":
                name = key.text
            elif key.kind == "string" and key.value is not None:
                name = key.value
            else:
                raise NotLiteral()
            if pos + 1 >= len(tokens) or tokens[pos + 1].kind not in ("=", ":"):
                raise NotLiteral()
            value, pos = literal_at(tokens, pos + 2)
            pairs.append((name, value))
            if pos < len(tokens) and tokens[pos].kind == ",":
                pos += 1
        if pos >= len(tokens):
            raise NotLiteral()
        return pairs, pos + 1
    raise NotLiteral()


# ---------------------------------------------------------------- the module


def normalise(source):
    """A provider source address in its full, lowercase form, or None."""
    parts = source.strip().lower().split("/")
    if not all(parts) or len(parts) > 3:
        return None
    if len(parts) == 1:
        parts = ["hashicorp"] + parts
    if len(parts) == 2:
        parts = ["registry.terraform.io"] + parts
    return "/".join(parts)


def implied(local_name):
    return BUILTIN if local_name == "terraform" else normalise(local_name)


class Module:
    """What one module directory declares and uses."""

    def __init__(self, directory, shown):
        self.directory, self.shown = directory, shown
        self.required = {}  # local name -> [(address, where)]
        self.used = {}  # local name -> [where]
        self.calls = []  # (name, source, where)
        self.problems = []  # (where, message)

    def where(self, path, line):
        name = os.path.join(self.shown, os.path.basename(path))
        return f"{name}:{line}" if line else name

    def use(self, name, where):
        self.used.setdefault(name, []).append(where)

    def require(self, name, spec, where):
        if isinstance(spec, str):  # a version constraint only
            address = implied(name)
        elif isinstance(spec, list) and all(isinstance(p, tuple) for p in spec):
            sources = [v for k, v in spec if k == "source"]
            if not sources:
                address = implied(name)
            elif len(sources) == 1 and isinstance(sources[0], str):
                address = normalise(sources[0])
            else:
                address = None
        else:
            address = None
        if address is None:
            self.problems.append((where, f"cannot read the source of required provider `{name}`"))
            return
        self.required.setdefault(name, []).append((address, where))

    def typed(self, kind, type_name, where):
        if kind == "data" and type_name == "external":
            self.problems.append((where, "the `external` data source runs any program: refused"))
        self.use(type_name.split("_", 1)[0], where)

    def provider_reference(self, value, where):
        if isinstance(value, Traversal) and 1 <= len(value) <= 2:
            self.use(value[0], where)
        elif isinstance(value, str) and re.fullmatch(r"(\$\{)?[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)?\}?", value):
            self.use(value.strip("${}").split(".")[0], where)
        else:
            self.problems.append((where, "cannot tell which provider this `provider` names"))

    def removed_from(self, value, where):
        """`removed { from = aws_x.y }`: the removed object's provider is used."""
        names = list(value) if isinstance(value, Traversal) else str(value).split(".")
        while len(names) >= 2 and names[0] == "module":
            names = names[2:]
        if names and "_" in names[0]:
            self.use(names[0].split("_", 1)[0], where)
        elif names and names[0]:
            self.use(names[0], where)

    # native syntax

    def read_native(self, path, text):
        items = Parser(lex(text)).body(False)
        for item in items:
            where = self.where(path, item.line)
            if isinstance(item, Attribute):
                self.problems.append((where, f"unexpected top-level argument `{item.name}`"))
            elif item.kind not in TOP_LEVEL:
                self.problems.append((where, f"unknown top-level block `{item.kind}`"))
            else:
                self.native_block(path, item, top=True)

    def native_block(self, path, block, top=False):
        where = self.where(path, block.line)
        if block.kind == "provisioner" or (block.kind == "dynamic" and block.labels[:1] == ["provisioner"]):
            self.problems.append((where, "a `provisioner` runs commands with the apply job's credentials: refused"))
        if block.kind in TYPED and len(block.labels) == 2:
            self.typed(block.kind, block.labels[0], where)
        if top and block.kind == "provider" and len(block.labels) == 1:
            self.use(block.labels[0], where)
        if top and block.kind == "terraform":
            for item in block.body:
                if isinstance(item, Block) and item.kind == "required_providers":
                    for spec in item.body:
                        spec_where = self.where(path, spec.line)
                        if isinstance(spec, Attribute):
                            try:
                                self.require(spec.name, literal(spec.expression), spec_where)
                            except NotLiteral:
                                self.problems.append((spec_where, f"cannot read required provider `{spec.name}`"))
                        else:
                            self.problems.append((spec_where, "unexpected block in `required_providers`"))
                elif isinstance(item, Block) and item.kind == "provider_meta" and item.labels:
                    self.use(item.labels[0], self.where(path, item.line))
            return
        if top and block.kind == "module":
            self.native_module(path, block)
        for item in block.body:
            item_where = self.where(path, item.line)
            if isinstance(item, Block):
                self.native_block(path, item)
            elif item.name == "provider" and block.kind != "provider":
                try:
                    self.provider_reference(literal(item.expression), item_where)
                except NotLiteral:
                    self.problems.append((item_where, "cannot tell which provider this `provider` names"))
            elif item.name == "from" and block.kind == "removed":
                try:
                    self.removed_from(literal(item.expression), item_where)
                except NotLiteral:
                    self.problems.append((item_where, "cannot read `from` of a `removed` block"))

    def native_module(self, path, block):
        where = self.where(path, block.line)
        source = None
        for item in block.body:
            if not isinstance(item, Attribute):
                continue
            item_where = self.where(path, item.line)
            try:
                value = literal(item.expression)
            except NotLiteral:
                value = NotLiteral
            if item.name == "source":
                source = value if isinstance(value, str) else None
                if source is None:
                    self.problems.append((item_where, "a module `source` must be a literal string"))
            elif item.name == "providers":
                if not isinstance(value, list) or not all(isinstance(p, tuple) for p in value):
                    self.problems.append((item_where, "cannot read the module's `providers`"))
                    continue
                for _, reference in value:
                    self.provider_reference(reference, item_where)
        if source is not None:
            self.calls.append((block.labels[0] if block.labels else "?", source, where))

    # JSON syntax

    def read_json(self, path, text):
        try:
            root = json.loads(text, object_pairs_hook=lambda pairs: ("object", pairs))
        except ValueError as error:
            raise Refused(0, f"not JSON: {error}") from error
        where = self.where(path, 0)
        self.json_provisioners(root, where)
        for key, value in json_pairs(root, where):
            if key == "//":
                continue
            if key not in TOP_LEVEL:
                self.problems.append((where, f"unknown top-level block `{key}`"))
            elif key == "terraform":
                for body in json_bodies(value, where):
                    for name, spec in json_pairs(body, where):
                        if name == "required_providers":
                            for entries in json_bodies(spec, where):
                                for local, entry in json_pairs(entries, where):
                                    self.require(local, json_plain(entry), where)
                        elif name == "provider_meta":
                            for meta in json_bodies(spec, where):
                                for local, _ in json_pairs(meta, where):
                                    self.use(local, where)
            elif key == "provider":
                for body in json_bodies(value, where):
                    for local, _ in json_pairs(body, where):
                        self.use(local, where)
            elif key == "module":
                for body in json_bodies(value, where):
                    for name, call in json_pairs(body, where):
                        self.json_module(name, call, where)
            elif key in TYPED:
                self.json_typed(key, value, where)
            elif key == "check":
                for body in json_bodies(value, where):
                    for _, check in json_pairs(body, where):
                        for check_body in json_bodies(check, where):
                            for inner, inner_value in json_pairs(check_body, where):
                                if inner in TYPED:
                                    self.json_typed(inner, inner_value, where)
            elif key in ("import", "removed"):
                for body in json_bodies(value, where):
                    for name, item in json_pairs(body, where):
                        if name == "provider":
                            self.provider_reference(json_plain(item), where)
                        elif name == "from" and key == "removed":
                            self.removed_from(json_plain(item), where)

    def json_typed(self, kind, value, where):
        for body in json_bodies(value, where):
            for type_name, named in json_pairs(body, where):
                self.typed(kind, type_name, where)
                for names in json_bodies(named, where):
                    for _, resource in json_pairs(names, where):
                        for resource_body in json_bodies(resource, where):
                            for name, item in json_pairs(resource_body, where):
                                if name == "provider":
                                    self.provider_reference(json_plain(item), where)

    def json_module(self, name, call, where):
        for body in json_bodies(call, where):
            for key, value in json_pairs(body, where):
                if key == "source":
                    if isinstance(value, str):
                        self.calls.append((name, value, where))
                    else:
                        self.problems.append((where, "a module `source` must be a string"))
                elif key == "providers":
                    for mapping in json_bodies(value, where):
                        for _, reference in json_pairs(mapping, where):
                            self.provider_reference(json_plain(reference), where)

    def json_provisioners(self, value, where):
        if isinstance(value, tuple):
            for key, item in value[1]:
                if key == "provisioner":
                    self.problems.append((where, "a `provisioner` runs commands with the apply job's credentials: refused"))
                self.json_provisioners(item, where)
        elif isinstance(value, list):
            for item in value:
                self.json_provisioners(item, where)


def json_pairs(value, where):
    if isinstance(value, tuple):
        return value[1]
    raise Refused(0, f"{where}: expected a JSON object")


def json_bodies(value, where):
    """A block body in JSON is an object or an array of objects."""
    if isinstance(value, tuple):
        return [value]
    if isinstance(value, list) and all(isinstance(v, tuple) for v in value):
        return value
    raise Refused(0, f"{where}: expected a JSON object or an array of objects")


def json_plain(value):
    """JSON as plain values; objects as lists of pairs (as `literal` gives)."""
    if isinstance(value, tuple):
        return [(k, json_plain(v)) for k, v in value[1]]
    if isinstance(value, list):
        return [json_plain(v) for v in value]
    return value


# ------------------------------------------------------------ the whole tree


def read_module(directory, shown):
    module = Module(directory, shown)
    try:
        names = sorted(os.listdir(directory))
    except OSError as error:
        module.problems.append((shown, f"cannot read the directory: {error.strerror}"))
        return module
    for name in names:
        path = os.path.join(directory, name)
        lower = name.lower()
        if not (lower.endswith(".tf") or lower.endswith(".tf.json")):
            continue
        if os.path.isdir(path):
            module.problems.append((module.where(path, 0), "a directory named like a configuration file"))
            continue
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
            text = raw.decode("utf-8")
        except OSError as error:
            module.problems.append((module.where(path, 0), f"cannot read: {error.strerror}"))
            continue
        except UnicodeDecodeError:
            module.problems.append((module.where(path, 0), "not UTF-8"))
            continue
        text = text.lstrip("\ufeff")
        for match in FUNCTION.finditer(text):
            module.use(match.group(1), module.where(path, text.count("\n", 0, match.start()) + 1))
        try:
            if lower.endswith(".tf.json"):
                module.read_json(path, text)
            else:
                module.read_native(path, text)
        except Refused as error:
            module.problems.append((module.where(path, error.line), f"cannot read for certain: {error}"))
    return module


def inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check(root, config_dir, allowed):
    """(provider addresses used, problems as (where, message))."""
    root = os.path.realpath(root)
    start = os.path.realpath(config_dir)
    problems, providers = [], {}
    if not os.path.isdir(start) or not inside(start, root):
        return [], [(config_dir, "the configuration directory is not a directory inside the repository")]
    for name in os.listdir(start):
        if name.lower() in FORBIDDEN_DIRS:
            problems.append((os.path.join(os.path.relpath(start, root), name), f"`{name}` in the configuration directory could supply provider binaries: refused"))
    pending, seen = [start], set()
    while pending:
        directory = pending.pop()
        if directory in seen:
            continue
        seen.add(directory)
        shown = os.path.relpath(directory, root)
        module = read_module(directory, shown)
        problems.extend(module.problems)
        for name, entries in module.required.items():
            for address, where in entries:
                providers.setdefault(address, []).append(where)
        for name, wheres in module.used.items():
            addresses = [a for a, _ in module.required.get(name, [])] or [implied(name)]
            for address in addresses:
                if address is None:
                    problems.append((wheres[0], f"`{name}` is not a provider name"))
                else:
                    providers.setdefault(address, []).extend(wheres)
        for name, source, where in module.calls:
            if not (source.startswith("./") or source.startswith("../")):
                problems.append((where, f"module `{name}`: source `{source}` is not a local path; only modules inside the repository can be read before they run"))
                continue
            target = os.path.realpath(os.path.join(directory, source))
            if not inside(target, root) or not os.path.isdir(target):
                problems.append((where, f"module `{name}`: `{source}` is not a directory inside the repository"))
                continue
            pending.append(target)
    for address, wheres in sorted(providers.items()):
        if address not in allowed:
            problems.append((wheres[0], f"provider `{address}` is not in the allowlist ({', '.join(sorted(allowed))})"))
    return sorted(providers), problems


def check_terraform_providers(path, allowed):
    """Problems with the output of `terraform providers`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return [], [(path, f"cannot read: {error}")]
    if "Providers required by configuration" not in text:
        return [], [(path, "not the output of `terraform providers`")]
    found = sorted({normalise(a) or a for a in PROVIDERS_OUTPUT.findall(text)})
    return found, [(path, f"`terraform providers` names `{a}`, which is not in the allowlist") for a in found if a not in allowed]


def escape(message):
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config_dir", nargs="?", help="the root module (e.g. access)")
    parser.add_argument("--root", default=".", help="the repository; modules may not leave it")
    parser.add_argument("--allow", action="append", default=[], help="allowed provider source addresses, comma-separated")
    parser.add_argument("--terraform-providers", help="output of `terraform providers` to check as well")
    parser.add_argument("--json", action="store_true", help="print the providers found and the problems as JSON")
    args = parser.parse_args(argv)
    allowed = {normalise(a) or a for item in args.allow for a in item.split(",") if a.strip()} or set(DEFAULT_ALLOWED)
    if not args.config_dir and not args.terraform_providers:
        parser.error("name the configuration directory, or --terraform-providers")
    providers, problems = check(args.root, args.config_dir, allowed) if args.config_dir else (None, [])
    terraform_providers = None
    if args.terraform_providers:
        terraform_providers, more = check_terraform_providers(args.terraform_providers, allowed)
        problems.extend(more)
    for where, message in problems:
        print(f"::error title=check-config::{escape(where)}: {escape(message)}", file=sys.stderr)
    if args.json:
        print(json.dumps({"providers": providers, "terraform_providers": terraform_providers, "problems": [f"{w}: {m}" for w, m in problems]}, indent=2))
    if problems:
        print(f"check-config: {len(problems)} problem(s); nothing is planned or applied", file=sys.stderr)
        return 1
    found = providers if providers is not None else terraform_providers
    print(f"check-config: {args.config_dir or args.terraform_providers} uses only {', '.join(found) or 'no provider'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
