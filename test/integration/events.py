#!/usr/bin/env python3
"""Reads a process's `--log-format json` event stream (one JSON object per line), so that tests
assert on events and their fields rather than on log prose.

    events.py wait FILE EVENT [KEY=VALUE...] [--timeout S]   waits (bounded) for a matching event
    events.py time FILE EVENT [KEY=VALUE...]                 the first match's time, epoch seconds
    events.py count FILE EVENT [KEY=VALUE...]                how many events match
    events.py show FILE EVENT [KEY=VALUE...]                 every match, one JSON object a line

A KEY=VALUE matches when the event's field, as text, equals VALUE; KEY!=VALUE when the field is
present and differs. `wait` and `time` exit 1 when
nothing matches (wait: within the timeout); a line not yet fully written is skipped, as the
writer may be in the middle of it.
"""
import argparse
import datetime
import json
import sys
import time


def matches(event, name, fields):
    if event.get("event") != name:
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
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and matches(event, name, fields):
            found.append(event)
    return found


def epoch(event):
    stamp = event["time"].replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(stamp).timestamp()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["wait", "time", "count", "show"])
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
                print(json.dumps(found[0]))
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
            print(json.dumps(event))
        return 0
    if not found:
        return 1
    print(f"{epoch(found[0]):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
