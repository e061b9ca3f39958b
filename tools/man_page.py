#!/usr/bin/env python3
"""Writes the man page (section 1) of one of chunkswarm's programs from the program's own --help,
so that the two never say different things. The build runs it; `meson install` installs the page.

    man_page.py PROGRAM NAME VERSION OUTPUT
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


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    program, name, version, output = sys.argv[1:]
    help_text = subprocess.run([program, "--help"], check=True, capture_output=True, text=True).stdout
    description, usage, options, footer = sections(help_text)
    if not description or not options:
        sys.exit(f"man_page: {program} --help has no description or no options")
    summary = description.splitlines()[0].rstrip(".:")
    others = ", ".join(f"\\fB{other}\\fR(1)" for other in ("owner", "peer", "swarm") if other != name)
    page = [
        f'.TH {name.upper()} 1 "" "chunkswarm {version}" "User Commands"',
        ".SH NAME",
        f"{name} \\- {roff(summary)}",
        ".SH SYNOPSIS",
        f".B {roff(usage)}",
        ".SH DESCRIPTION",
        roff(description),
        ".SH OPTIONS",
        ".nf",
        roff(options.replace("Options:\n", "", 1)),
        ".fi",
    ]
    if footer:
        heading, _, examples = footer.partition("\n")
        page += [".SH EXAMPLES", ".nf", roff(examples if heading.rstrip().endswith(":") else footer), ".fi"]
    page += [".SH SEE ALSO", f"{others}; the README of chunkswarm for the config file and the log lines."]
    with open(output, "w") as out:
        out.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
