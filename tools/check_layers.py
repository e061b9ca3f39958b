#!/usr/bin/env python3
"""The layering of docs/design.md, checked against the sources: every #include "chunkswarm/..." or
"x.hpp" of a file under src/ or include/ points at its own layer or one below, no role includes
another role, and the core (src/core and its headers) makes no file or socket call. Prints each
breach as FILE:LINE and exits 1 if there is any.

    check_layers.py [SOURCE_ROOT]
"""
import pathlib
import re
import sys

# Lowest first: a file may include its own layer and any below it.
ORDER = ["core", "common", "disk", "net", "cli", "role", "program"]
ROLES = ("owner", "peer", "swarm")
# The headers at the top of include/chunkswarm/ (the core's are in include/chunkswarm/core/).
TOP_HEADERS = {"process_facts.hpp": "common", "cli_support.hpp": "cli", "log.hpp": "net"}
# A file or socket call: the core is fed bytes, events and time, and does none itself.
IO_CALL = re.compile(r"std::[io]?fstream|\bfopen\s*\(|(?<![\w:])::(open|read|write|pread|pwrite|close)\s*\(|"
                     r"std::filesystem::(create_director|remove|rename|exists|file_size|resize_file|status|"
                     r"is_directory|is_regular_file|(recursive_)?directory_iterator)|\bsocket\s*\(|\buv_\w+\s*\(|"
                     r"std::(cin|cout|cerr)\b")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(root, path):
    """The layer a file belongs to, and for a role file, which role."""
    rel = path.relative_to(root).parts
    if rel[0] == "include":
        if rel[2] in ("core", "net", "disk"):
            return rel[2], None
        if rel[2] not in TOP_HEADERS:
            sys.exit(f"check_layers: {path.relative_to(root)} is in no layer: move it to core/, disk/ or net/, "
                     "or name its layer in TOP_HEADERS")
        return TOP_HEADERS[rel[2]], None
    area = rel[1]
    if area == "common":
        return ("cli" if path.stem == "cli_support" else "common"), None
    if area in ROLES:
        return "role", area
    if area == "chunkswarm":
        return "program", None
    return area, None


def resolve(root, source, name):
    """The file an include names: include/NAME, or NAME beside the source."""
    for candidate in (root / "include" / name, source.parent / name):
        if candidate.is_file():
            return candidate
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    files = sorted(p for d in ("src", "include") for p in (root / d).rglob("*") if p.suffix in (".cpp", ".hpp"))
    breaches = []
    for source in files:
        layer, role = layer_of(root, source)
        for number, line in enumerate(source.read_text().splitlines(), 1):
            where = f"{source.relative_to(root)}:{number}"
            if layer == "core" and IO_CALL.search(line.split("//")[0]):
                breaches.append(f"{where}: a file or socket call in the core: {line.strip()}")
            match = INCLUDE.match(line)
            target = match and resolve(root, source, match.group(1))
            if not target:
                continue
            their_layer, their_role = layer_of(root, target)
            if ORDER.index(their_layer) > ORDER.index(layer):
                breaches.append(f"{where}: {layer} includes {match.group(1)} of the {their_layer} layer above it")
            elif role and their_role and role != their_role:
                breaches.append(f"{where}: the {role} includes {match.group(1)} of the {their_role}")
    for breach in breaches:
        print(breach)
    print(f"check_layers: {len(files)} files, {len(breaches)} breach(es) of the layering in docs/design.md")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
