#!/usr/bin/env python3
"""Reads a process's `--log-format json` event stream (one JSON object per line), so that tests
assert on events and their fields rather than on log prose.

    events.py wait FILE EVENT [KEY=VALUE...] [--timeout S]   waits (bounded) for a matching event
    events.py time FILE EVENT [KEY=VALUE...]                 the first match's time, epoch seconds
    events.py count FILE EVENT [KEY=VALUE...]                how many events match
    events.py show FILE EVENT [KEY=VALUE...]                 every match, one JSON object a line
    events.py line FILE EVENT [KEY=VALUE...]                 the first match's line number (from 1)

EVENT * matches every line (events and plain log lines alike). A KEY=VALUE matches when the event's field, as text, equals VALUE; KEY!=VALUE when the field is
present and differs. `wait`, `time` and `line` exit 1 when
nothing matches (wait: within the timeout); a line not yet fully written is skipped, as the
writer may be in the middle of it.
"""
import argparse
import datetime
import json
import sys
import time


def matches(event, name, fields):
    if name != "*" and event.get("event") != name:
        return False
    return all(
        (key in event and str(event[key]) != value) if negated else str(event.get(key)) == value
        for key, negated, value in fields)


def read(path, name, fields):
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            lines = stream.readlines()
    except FileNotFoundError:
        return []
    found = []
    for number, line in enumerate(lines, start=1):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and matches(event, name, fields):
            event["_line"] = number
            found.append(event)
    return found


def without_line(event):
    return {key: value for key, value in event.items() if key != "_line"}


def epoch(event):
    stamp = event["time"].replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(stamp).timestamp()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["wait", "time", "count", "show", "line"])
    parser.add_argument("file")
    parser.add_argument("event")
    parser.add_argument("fields", nargs="*", help="KEY=VALUE or KEY!=VALUE")
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    fields = []
    for text in args.fields:
        key, sep, value = text.partition("=")
        if not sep:
            parser.error(f"'{text}' is not KEY=VALUE or KEY!=VALUE")
        negated = key.endswith("!")
        fields.append((key.rstrip("!"), negated, value))

    if args.command == "wait":
        deadline = time.monotonic() + args.timeout
        while True:
            found = read(args.file, args.event, fields)
            if found:
                print(json.dumps(without_line(found[0])))
                return 0
            if time.monotonic() >= deadline:
                return 1
            time.sleep(0.1)
    found = read(args.file, args.event, fields)
    if args.command == "count":
        print(len(found))
        return 0
    if args.command == "show":
        for event in found:
            print(json.dumps(without_line(event)))
        return 0
    if not found:
        return 1
    if args.command == "line":
        print(found[0]["_line"])
        return 0
    print(f"{epoch(found[0]):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
