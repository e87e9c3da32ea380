#!/usr/bin/env python3
"""Turn release artifacts into a Terraform provider network mirror.

    python3 scripts/network-mirror.py build dist/ mirror/
    python3 scripts/network-mirror.py serve mirror/ --cert server.pem --key server.key [--port 8443]

`build` reads every terraform-provider-jit_VERSION_SHA256SUMS in the release
directory (what scripts/release.sh writes), checks each zip it lists against
it, and writes the static files of Terraform's provider network mirror
protocol:

    mirror/registry.terraform.io/jit-access/jit/index.json     {"versions": {"0.1.0": {}}}
    mirror/registry.terraform.io/jit-access/jit/0.1.0.json     {"archives": {"linux_amd64": {"url": ..., "hashes": ["zh:..."]}}}
    mirror/registry.terraform.io/jit-access/jit/terraform-provider-jit_0.1.0_linux_amd64.zip

Versions already in the mirror stay listed, so one mirror directory collects
every release. Any HTTPS server that serves the directory as files works
(Terraform only accepts https:// mirrors); `serve` is a small one for trying
it out and for the tests, listening on 127.0.0.1 only and printing its URL.

Standard library only; Python >= 3.8.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import shutil
import ssl
import sys

HOST = "registry.terraform.io"
NAMESPACE = "jit-access"
TYPE = "jit"
PROVIDER = "terraform-provider-" + TYPE

SUMS = re.compile(r"^" + re.escape(PROVIDER) + r"_(?P<version>[0-9][0-9A-Za-z.+-]*)_SHA256SUMS$")
ZIP = re.compile(
    r"^" + re.escape(PROVIDER) + r"_(?P<version>[0-9][0-9A-Za-z.+-]*)_(?P<os>[a-z0-9]+)_(?P<arch>[a-z0-9]+)\.zip$"
)


class MirrorError(Exception):
    """A release directory that cannot become a mirror."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(path):
    """{file name: sha256 hex} of a SHA256SUMS file."""
    listed = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
                raise MirrorError(f"{path}:{number}: expected `<sha256>  <file>`, found {line.rstrip()!r}")
            listed[parts[1]] = parts[0]
    return listed


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def build(dist, out):
    """Adds every release in `dist` to the mirror in `out`; returns the versions added."""
    target = os.path.join(out, HOST, NAMESPACE, TYPE)
    os.makedirs(target, exist_ok=True)
    releases = sorted(name for name in os.listdir(dist) if SUMS.match(name))
    if not releases:
        raise MirrorError(f"{dist} holds no {PROVIDER}_VERSION_SHA256SUMS: run scripts/release.sh first")
    added = []
    for sums_name in releases:
        version = SUMS.match(sums_name).group("version")
        archives = {}
        for name, expected in sorted(read_sums(os.path.join(dist, sums_name)).items()):
            match = ZIP.match(name)
            if not match:
                continue  # the manifest
            if match.group("version") != version:
                raise MirrorError(f"{sums_name} lists {name}, a zip of another version")
            source = os.path.join(dist, name)
            if not os.path.isfile(source):
                raise MirrorError(f"{sums_name} lists {name}, which is not in {dist}")
            actual = sha256_file(source)
            if actual != expected:
                raise MirrorError(f"{name} has SHA-256 {actual}, but {sums_name} says {expected}")
            shutil.copyfile(source, os.path.join(target, name))
            platform = match.group("os") + "_" + match.group("arch")
            archives[platform] = {"url": name, "hashes": ["zh:" + actual]}
        if not archives:
            raise MirrorError(f"{sums_name} lists no zip")
        write_json(os.path.join(target, version + ".json"), {"archives": archives})
        added.append(version)
    index_path = os.path.join(target, "index.json")
    versions = {}
    if os.path.isfile(index_path):
        with open(index_path, encoding="utf-8") as handle:
            versions = json.load(handle).get("versions", {})
    for version in added:
        versions[version] = {}
    write_json(index_path, {"versions": versions})
    return added


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files; JSON documents (also extension-less API paths) as JSON."""

    def guess_type(self, path):
        if path.endswith(".json") or not os.path.splitext(path)[1]:
            return "application/json"
        return super().guess_type(path)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write("network-mirror: %s %s\n" % (self.address_string(), format % args))


def serve(directory, cert, key, port):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)

    def handler(*args, **kwargs):
        return Handler(*args, directory=directory, **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"serving https://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="add the releases in DIST to the mirror in OUT")
    build_cmd.add_argument("dist")
    build_cmd.add_argument("out")
    serve_cmd = commands.add_parser("serve", help="serve DIR over HTTPS on 127.0.0.1")
    serve_cmd.add_argument("dir")
    serve_cmd.add_argument("--cert", required=True, help="PEM certificate (chain) of the server")
    serve_cmd.add_argument("--key", required=True, help="PEM private key of the server")
    serve_cmd.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    args = parser.parse_args(argv)
    if args.command == "build":
        try:
            for version in build(args.dist, args.out):
                print(f"network-mirror: added {HOST}/{NAMESPACE}/{TYPE} {version}")
        except (MirrorError, OSError) as error:
            print(f"network-mirror: error: {error}", file=sys.stderr)
            return 1
        return 0
    serve(os.path.abspath(args.dir), args.cert, args.key, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
