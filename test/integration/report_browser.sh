#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium lays out every chart path with a length
# (the report's own check, read back from the rendered DOM) and a screenshot shows the series'
# colours, for five peers and for a hundred (one bar of sources per peer, notes instead of legends).
# Skipped (exit 77, with the reason) where Chromium is not installed.
source "$(dirname "$0")/lib.sh"
: "${SWARM_BIN:?}"

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
    echo "SKIP: chromium is not installed; 'bash tools/setup.sh --browser' (as root) installs Debian's package"
    exit 77
fi

mapfile -t ports < <(free_ports 6)
ring_config ring.json 102400 "${ports[@]}"
timeout 120 "$SWARM_BIN" --config ring.json --work "$WORK/run" --sample-size 3M --report "$WORK/report.html" \
    --display quiet > run.out 2>&1 || { cat run.out; fail "the swarm run for the report failed"; }
# check_in_browser NAME: NAME.html laid out by Chromium (every series path drawn with a length),
# and a screenshot NAME.png that shows the first two series colours.
check_in_browser() {
    local name=$1 series drawn
    series=$(grep -o 'class="series"' "$name.html" | wc -l)
    timeout 120 "${headless[@]}" --virtual-time-budget=3000 --dump-dom "file://$WORK/$name.html" > "$name.dom" \
        2> browser.err || { tail browser.err; fail "chromium could not render $name.html"; }
    drawn=$(grep -o 'data-drawn-paths="[0-9]*"' "$name.dom" | grep -o '[0-9]*' || true)
    [[ "$drawn" == "$series" ]] || fail "chromium drew ${drawn:-no} of the $series series paths of $name.html"
    echo "ok: chromium laid out all $series series paths of $name.html with a non-zero length"
    timeout 120 "${headless[@]}" --screenshot="$WORK/$name.png" "file://$WORK/$name.html" > /dev/null 2>> browser.err ||
        { tail browser.err; fail "chromium could not take a screenshot of $name.html"; }
    python3 - "$WORK/$name.png" << 'PY' || fail "the screenshot of $name.html does not show the chart lines"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height = 8, b"", 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), "unexpected PNG format"
        bpp = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw, stride = zlib.decompress(idat), width * bpp
prev, counts = bytearray(stride), {(0x1f, 0x77, 0xb4): 0, (0xd6, 0x27, 0x28): 0}
for y in range(height):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        key = tuple(line[x:x + 3])
        if key in counts: counts[key] += 1
    prev = line
print(f"screenshot {width}x{height}: series pixels {counts}")
assert all(n >= 50 for n in counts.values()), "a series colour is (nearly) absent"
PY
    echo "ok: the screenshot of $name.html shows the chart lines"
}

headless=("$browser" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars
    --user-data-dir="$WORK/profile" --window-size=1000,1500)

series=$(grep -o 'class="series"' report.html | wc -l)
((series >= 12)) || fail "report.html has $series series paths, expected the swarm's 2, 5 peers and at least 5 links"
for part in '<svg id="swarm"' '<svg id="finished"' '<svg id="held"' '<svg id="links"' '<svg id="sources"' \
    '<h2>Settings</h2>'; do
    grep -qF "$part" report.html || fail "report.html has no $part"
done
[[ $(grep -o 'class="bar"' report.html | wc -l) == 5 ]] || fail "report.html has no bar of sources per peer"
check_in_browser report

# A hundred peers: the charts keep their size, a note replaces the legends, one thin bar per peer.
mapfile -t ports < <(free_ports 101)
ring_config ring100.json 102400 "${ports[@]}"
timeout 240 "$SWARM_BIN" --config ring100.json --work "$WORK/run100" --sample-size 10M --together \
    --report "$WORK/report100.html" --display quiet > run100.out 2>&1 || { tail run100.out; fail "the 100-peer run failed"; }
[[ $(grep -o 'class="bar"' report100.html | wc -l) == 100 ]] || fail "report100.html has not one bar per peer"
grep -q 'hover over a line for its name' report100.html || fail "report100.html lists a legend of 100 names"
check_in_browser report100

