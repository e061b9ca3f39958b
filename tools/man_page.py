#!/usr/bin/env python3
"""Writes the man page (section 1) of the chunkswarm program, or of one of its commands, from its
own --help, so that the two never say different things. The build runs it; `meson install`
installs the page: chunkswarm.1, and chunkswarm-owner.1 for `chunkswarm owner` (as git does).

    man_page.py PROGRAM COMMAND VERSION OUTPUT      (COMMAND: owner, peer, swarm, or chunkswarm itself)
"""
import subprocess
import sys


def roff(text):
    """Text as roff shows it: backslashes escaped, no line taken for a request."""
    lines = []
    for line in text.replace("\\", "\\e").replace("-", "\\-").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def sections(help_text):
    """CLI11's help: the description, a 'Usage:' line, the options, then the examples (footer)."""
    before, _, after = help_text.partition("Usage: ")
    usage, _, rest = after.partition("\n")
    options, _, footer = rest.strip("\n").partition("\n\n")
    return before.strip(), usage.strip(), options.strip(), footer.strip()


# What --help does not say: exit codes, the environment and the files each program uses.
EXIT_STATUS = {
    "owner": [("0", "every peer holds the file (or, with --linger, the owner was stopped)"),
              ("1", "a failure while running: a port in use, a source that cannot be read or changed under it"),
              ("2", "bad input: a flag, the config, the file, a host name that does not resolve")],
    "peer": [("0", "this peer holds the whole file, checked, and its upload neighbour does too (or is gone)"),
             ("1", "a failure while running: the owner unreachable, a full disk, content refused"),
             ("2", "bad input: a flag, the config, a host name that does not resolve")],
    "swarm": [("0", "every copy matches the original's SHA-256"),
              ("1", "a process failed or a copy does not match"),
              ("2", "bad input: a flag or the config (nothing was started)"),
              ("129, 130, 143", "stopped by SIGHUP, SIGINT or SIGTERM: every process was stopped; --resume goes on")],
}
EXIT_STATUS["chunkswarm"] = [("0, 1, 2, ...", "that of the command; 2 for a missing or unknown command")]
ENVIRONMENT = [("CHUNKSWARM_SECRET",
                "the swarm secret (at least 16 characters); it takes the place of the config's secret, and "
                "makes every connection TLS 1.3 with a key derived from it")]
FILES = {
    "owner": [("DATA_DIR/chunks/", "one file per chunk (unless keep_chunk_files is false)"),
              ("DATA_DIR/manifest.json", "the manifest: name, size, chunk size and every chunk's SHA-256"),
              ("DATA_DIR/.tree-stream", "a directory tree's files packed one after another")],
    "peer": [("DATA_DIR/chunks/", "one file per chunk (unless keep_chunk_files is false)"),
             ("DATA_DIR/summary.txt", "the chunk IDs this peer holds"),
             ("DATA_DIR/manifest.json", "the manifest, for a restart"),
             ("DATA_DIR/NAME.part", "the joined file while it is assembled; renamed to NAME (or --output)"),
             ("DATA_DIR/.lock", "held while the peer runs: one process per data directory")],
    "swarm": [("WORK/owner/, WORK/peer-ID/", "each process's data directory"),
              ("WORK/logs/NAME.log, NAME.events.jsonl", "each process's log and its event stream"),
              ("WORK/config.json", "the config the processes read, with --hosts")],
    "chunkswarm": [("see chunkswarm-owner(1), chunkswarm-peer(1), chunkswarm-swarm(1)", "the files of each command")],
}


def listing(rows):
    """Tagged paragraphs: each name, then what it means."""
    out = []
    for name, text in rows:
        out += [".TP", f"\\fB{roff(name)}\\fR", roff(text)]
    return out


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    program, command, version, output = sys.argv[1:]
    top = command == "chunkswarm"
    name = "chunkswarm" if top else f"chunkswarm-{command}"
    words = [program, "--help"] if top else [program, command, "--help"]
    help_text = subprocess.run(words, check=True, capture_output=True, text=True).stdout
    description, usage, options, footer = sections(help_text)
    if not description or not options:
        sys.exit(f"man_page: {program} --help has no description or no options")
    summary = description.splitlines()[0].rstrip(".:")
    pages = ["chunkswarm"] + [f"chunkswarm-{other}" for other in ("owner", "peer", "swarm")]
    others = ", ".join(f"\\fB{other}\\fR(1)" for other in pages if other != name)
    page = [
        f'.TH {name.upper()} 1 "" "chunkswarm {version}" "User Commands"',
        ".SH NAME",
        f"{name} \\- {roff(summary)}",
        ".SH SYNOPSIS",
        f".B {roff(usage)}",
        ".SH DESCRIPTION",
        roff(description),
        ".SH COMMANDS" if top else ".SH OPTIONS",
        ".nf",
        roff(options.replace("Options:\n", "", 1).replace("Commands:\n", "", 1)),
        ".fi",
    ]
    if footer:
        heading, _, examples = footer.partition("\n")
        page += [".SH EXAMPLES", ".nf", roff(examples if heading.rstrip().endswith(":") else footer), ".fi"]
    page += [".SH EXIT STATUS"] + listing(EXIT_STATUS.get(command, []))
    page += [".SH ENVIRONMENT"] + listing(ENVIRONMENT)
    page += [".SH FILES"] + listing(FILES.get(command, []))
    page += [".SH SEE ALSO", f"{others}; the README of chunkswarm for the config file and the log lines."]
    with open(output, "w") as out:
        out.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
